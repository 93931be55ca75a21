"""Regenerate the README's pictures of the Dagster UI (docs/images/*.png) from a running stack.

    docker compose up -d --wait                        # any running stack, e.g. the local one
    uv run python scripts/ui_screenshots.py            # UI at http://127.0.0.1:3000
    uv run python scripts/ui_screenshots.py --url http://127.0.0.1:3300

It clicks through the UI with the same helpers as the browser tests (tests/stack/browser.py),
so the pictures show what those tests check: the asset lineage graph, a run of raw_orders
launched with Materialize and finished, with its logs, and the Automation page. The
Materialize click really launches a run on that stack, as a user's would.
"""

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The browser tests' helpers (tests/stack/browser.py): the pictures show what they check.
sys.path.insert(0, str(ROOT / "tests" / "stack"))

from browser import INSTALL_HINT, DagsterUI, find_chromium, launch_chromium  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

PRINTING_ASSET = "raw_orders"


def asset_graph(ui: DagsterUI) -> None:
    """The global lineage graph, every group drawn."""
    ui.open("/asset-groups")
    expect(ui.page.get_by_text("orders", exact=True).first).to_be_visible()


def finished_run(ui: DagsterUI) -> None:
    """A run launched with Materialize, finished, with its structured event log."""
    ui.materialize(PRINTING_ASSET)
    status = ui.wait_for_run_to_finish()
    if status != "Success":
        sys.exit(f"the {PRINTING_ASSET} run ended in {status}: fix the stack before taking pictures")


def automation(ui: DagsterUI) -> None:
    """The Automation page: sensors and schedules with their on/off state."""
    ui.open("/automation")
    expect(ui.page.get_by_role("link", name=re.compile(r"\blanding_zone_sensor\b"))).to_be_visible()
    # Each row's on/off switch loads after its name (a grey placeholder until then): wait for
    # one checked switch per running sensor or schedule row, so the picture shows the state.
    rows = ui.page.get_by_role("link", name=re.compile(r"^(sensors|schedule) \w+ info\b"))
    switches = ui.page.get_by_role("checkbox", checked=True)
    for _ in range(60):
        if rows.count() and switches.count() == rows.count():
            return
        ui.page.wait_for_timeout(1000)
    sys.exit(f"the Automation page shows {switches.count()} running switches for {rows.count()} rows after 60 s")


PICTURES = {"asset-graph": asset_graph, "run-logs": finished_run, "automation": automation}


def main(argv: list[str] | None = None) -> int:
    """Take every picture in PICTURES and write it to --out as <name>.png."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("DAGSTER_UI_URL", "http://127.0.0.1:3000"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    with sync_playwright() as playwright:
        executable = find_chromium(playwright)
        if executable is None:
            sys.exit(INSTALL_HINT)
        browser = launch_chromium(playwright, executable)
        for name, take in PICTURES.items():
            ui = DagsterUI(browser, args.url)
            try:
                take(ui)
                # Let late-loading parts (graph layout, status counts) settle: the UI polls, so
                # the network never goes idle to say so.
                ui.page.wait_for_timeout(3000)
                path = ui.save(name, failed=False, directory=args.out)[0]
                print(f"{path}: {path.stat().st_size // 1024} KiB")
            finally:
                ui.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
