"""Regenerate the README's pictures of the Dagster UI (docs/images/*.png) from a running stack.

    docker compose up -d --wait                        # any running stack, e.g. the local one
    uv run python scripts/ui_screenshots.py            # gateway at http://127.0.0.1:8080 / :8081
    uv run python scripts/ui_screenshots.py --url http://127.0.0.1:3380 --viewer-url http://127.0.0.1:3381

It signs in at the gateway as the template's local users (or DAGSTER_UI_USER/_PASSWORD and
DAGSTER_UI_VIEWER_USER/_PASSWORD) and clicks through the UI with the same helpers as the
browser tests (tests/stack/browser.py), so the pictures show what those tests check: the
asset lineage graph, a run of raw_orders launched with Materialize and finished, with its
logs, the Automation page, and that run as a viewer sees it (read-only). The Materialize
click really launches a run on that stack, as a user's would.

The sign-in picture shows the browser's own login prompt, which a headless browser never
draws: it is taken from a visible Chromium on a virtual display (Debian's `xvfb` and
`x11-apps`, for Xvfb and xwd, plus ImageMagick's `convert`); `--skip-sign-in` leaves it out.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The browser tests' helpers (tests/stack/browser.py, gateway.py): the pictures show what they check.
sys.path.insert(0, str(ROOT / "tests" / "stack"))

from browser import INSTALL_HINT, VIEWPORT, DagsterUI, find_chromium, launch_chromium  # noqa: E402
from gateway import EDITOR, VIEWER  # noqa: E402
from playwright.sync_api import Browser, expect, sync_playwright  # noqa: E402

PRINTING_ASSET = "raw_orders"
DISPLAY = ":97"
SIGN_IN_WAIT = 90  # seconds


@dataclass
class Session:
    """What the pictures share: the browser, the gateway's two sites and their users, and the
    run the editor launched (for the viewer's picture of it)."""

    browser: Browser
    editor_url: str
    viewer_url: str
    editor: tuple[str, str]
    viewer: tuple[str, str]
    run_id: str = ""


def asset_graph(session: Session) -> DagsterUI:
    """The global lineage graph, every group drawn."""
    ui = DagsterUI(session.browser, session.editor_url, credentials=session.editor)
    ui.open("/asset-groups")
    expect(ui.page.get_by_text("orders", exact=True).first).to_be_visible()
    # Each group's materialization counts arrive after the layout.
    expect(ui.page.get_by_text(re.compile(r"fetching statuses"))).to_have_count(0)
    return ui


def finished_run(session: Session) -> DagsterUI:
    """A run launched with Materialize, finished, with its structured event log."""
    ui = DagsterUI(session.browser, session.editor_url, credentials=session.editor)
    session.run_id = ui.materialize(PRINTING_ASSET)
    status = ui.wait_for_run_to_finish()
    if status != "Success":
        sys.exit(f"the {PRINTING_ASSET} run ended in {status}: fix the stack before taking pictures")
    ui.event_log_entry("RUN_SUCCESS")
    return ui


def automation(session: Session) -> DagsterUI:
    """The Automation page: sensors and schedules with their on/off state."""
    ui = DagsterUI(session.browser, session.editor_url, credentials=session.editor)
    ui.open("/automation")
    expect(ui.page.get_by_role("link", name=re.compile(r"\blanding_zone_sensor\b"))).to_be_visible()
    # Each row's on/off switch loads after its name (a grey placeholder until then): wait for
    # one checked switch per running sensor or schedule row, so the picture shows the state.
    rows = ui.page.get_by_role("link", name=re.compile(r"^(sensors|schedule) \w+ info\b"))
    switches = ui.page.get_by_role("checkbox", checked=True)
    for _ in range(60):
        if rows.count() and switches.count() == rows.count():
            return ui
        ui.page.wait_for_timeout(1000)
    sys.exit(f"the Automation page shows {switches.count()} running switches for {rows.count()} rows after 60 s")


def viewer_run(session: Session) -> DagsterUI:
    """The editor's run as a viewer sees it on the viewers' site: the log, and Re-execute
    disabled (the read-only webserver refuses every launch)."""
    ui = DagsterUI(session.browser, session.viewer_url, credentials=session.viewer)
    ui.open_run(session.run_id)
    ui.wait_for_run_to_finish()
    ui.event_log_entry("RUN_SUCCESS")
    expect(ui.page.get_by_role("button", name=re.compile(r"Re-execute")).first).to_be_disabled()
    return ui


PICTURES: dict[str, Callable[[Session], DagsterUI]] = {
    "asset-graph": asset_graph,
    "run-logs": finished_run,
    "automation": automation,
    "viewer-run": viewer_run,
}


def sign_in_picture(chromium: str, url: str, out: Path) -> Path:
    """The browser's login prompt on the gateway, from a visible Chromium on a virtual display."""
    missing = [tool for tool in ("Xvfb", "xwd", "convert") if not shutil.which(tool)]
    if missing:
        sys.exit(f"the sign-in picture needs {', '.join(missing)}: apt-get install xvfb x11-apps imagemagick")
    size = f"{VIEWPORT['width']}x{VIEWPORT['height']}"
    path = out / "sign-in.png"
    # Chromium's helper processes may still be writing the profile as it goes away.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        display = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", f"{size}x24", "-nolisten", "tcp"])
        env = {**os.environ, "DISPLAY": DISPLAY}
        args = [chromium, f"--user-data-dir={profile}", f"--window-size={VIEWPORT['width']},{VIEWPORT['height']}"]
        args += ["--window-position=0,0", "--no-first-run", "--disable-features=LocalNetworkAccessChecks"]
        if os.geteuid() == 0:
            # --test-type: no banner about that flag across the picture.
            args += ["--no-sandbox", "--test-type"]
        browser = subprocess.Popen(
            [*args, url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            # The window draws, asks the gateway and shows the prompt: wait until the screen is
            # no longer blank and has stopped changing (slow on a loaded machine).
            previous = b""
            for _ in range(SIGN_IN_WAIT // 2):
                time.sleep(2)
                screen = subprocess.run(["xwd", "-root", "-display", DISPLAY], capture_output=True, check=True).stdout
                colours = subprocess.run(
                    ["convert", "xwd:-", "-format", "%k", "info:"], input=screen, capture_output=True, check=True
                ).stdout
                if screen == previous and int(colours or 0) > 50:
                    break
                previous = screen
            else:
                sys.exit(f"the browser did not show the gateway's sign-in prompt within {SIGN_IN_WAIT} s")
            subprocess.run(["convert", "xwd:-", str(path)], input=screen, check=True)
        finally:
            os.killpg(browser.pid, signal.SIGTERM)  # the browser and its helper processes
            display.terminate()
            browser.wait(timeout=30)
            display.wait(timeout=30)
    return path


def login(name: str, default: tuple[str, str]) -> tuple[str, str]:
    """A site's user and password from DAGSTER_UI_<NAME>USER/_PASSWORD, else the template's."""
    user, password = os.environ.get(f"DAGSTER_UI_{name}USER"), os.environ.get(f"DAGSTER_UI_{name}PASSWORD")
    return (user, password) if user and password else default


def main(argv: list[str] | None = None) -> int:
    """Take every picture and write it to --out as <name>.png."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("DAGSTER_UI_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--viewer-url", default=os.environ.get("DAGSTER_UI_VIEWER_URL", "http://127.0.0.1:8081"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--skip-sign-in", action="store_true", help="leave out the sign-in picture")
    args = parser.parse_args(argv)
    with sync_playwright() as playwright:
        executable = find_chromium(playwright)
        if executable is None:
            sys.exit(INSTALL_HINT)
        if not args.skip_sign_in:
            path = sign_in_picture(executable, args.url, args.out)
            print(f"{path}: {path.stat().st_size // 1024} KiB")
        browser = launch_chromium(playwright, executable)
        session = Session(browser, args.url, args.viewer_url, login("", EDITOR), login("VIEWER_", VIEWER))
        for name, take in PICTURES.items():
            ui = take(session)
            try:
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
