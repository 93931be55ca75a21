"""Drive the Dagster UI in a real Chromium, the way a person uses it (Playwright, sync API).

Shared by the browser tests (tests/stack/test_ui_browser.py) and by the script that
regenerates the README's pictures (scripts/ui_screenshots.py), so both click the same way.

Elements are found by role and visible text (button "Materialize", row "Running", ...),
never by the UI's generated CSS class names, which change with every Dagster release.
Dagster's icons are part of accessible names ("materialization Materialize"), hence the
end-anchored name patterns.

Which Chromium: CHROMIUM_PATH if set, else Playwright's own browser when it is installed
(`uv run playwright install chromium`), else a system one (Debian's `chromium`, or Chrome).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright, Response, Route, expect
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
# Screenshots of every browser test, plus HTML and console log of failing ones (git-ignored).
ARTIFACTS_DIR = Path(os.environ.get("UI_ARTIFACTS_DIR", ROOT / "artifacts" / "ui"))
INSTALL_HINT = (
    "no Chromium for the browser tests: run `uv run playwright install --with-deps chromium` "
    "(or `apt-get install chromium`), or set CHROMIUM_PATH"
)
SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")

# Bounded waits, generous for a slow, shared CI machine. Clicks and assertions wait up to
# ACTION_TIMEOUT; things the platform does in the background have their own limits.
ACTION_TIMEOUT = 60
RUN_TIMEOUT = 420
VIEWPORT = {"width": 1280, "height": 800}

# expect() has its own default timeout (5 s), separate from the page's.
expect.set_options(timeout=ACTION_TIMEOUT * 1000)

TERMINAL_RUN_STATUS = re.compile(r"^(Success|Failure|Canceled)$")
PARTITION_STATES = ("Failed", "Materialized", "Materializing", "Missing")


def find_chromium(playwright: Playwright) -> str | None:
    """Path of the Chromium to drive: CHROMIUM_PATH, Playwright's own, or a system one.

    None when there is none (the caller skips or fails with INSTALL_HINT).
    """
    if os.environ.get("CHROMIUM_PATH"):
        return os.environ["CHROMIUM_PATH"]
    bundled = playwright.chromium.executable_path
    if bundled and Path(bundled).exists():
        return bundled
    for name in SYSTEM_CHROMIUMS:
        if found := shutil.which(name):
            return found
    return None


def launch_chromium(playwright: Playwright, executable: str) -> Browser:
    """Start a headless Chromium; without its sandbox when running as root (it refuses to start)."""
    # Requests are served through Playwright (see DagsterUI), so Chromium cannot tell that the
    # page came from loopback and would block its WebSocket to loopback as a "local network" one.
    args = ["--disable-features=LocalNetworkAccessChecks"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    return playwright.chromium.launch(executable_path=executable, args=args)


def _fetch_outside_chromium(route: Route) -> None:
    """Serve a browser request with Playwright's HTTP client instead of Chromium's network stack."""
    try:
        route.fulfill(response=route.fetch(max_redirects=0, timeout=ACTION_TIMEOUT * 1000))
    except PlaywrightError:
        # The server is down, or the page closed meanwhile: fail the request, as Chromium would
        # (and never mind when the page is already gone).
        with contextlib.suppress(PlaywrightError, asyncio.CancelledError):
            route.abort("failed")


def basic_authorization(user: str, password: str) -> str:
    """The Authorization header value of HTTP basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class DagsterUI:
    """One browser tab on the Dagster UI, with the steps a user takes as methods.

    Keeps the tab's console messages (for failure reports) and dismisses the "Join the
    Dagster community" dialog whenever it appears.
    """

    def __init__(self, browser: Browser, base_url: str, credentials: tuple[str, str] | None = None):
        """A tab on `base_url`; `credentials` (user, password) answer the gateway's login."""
        # Sent with every request, as a browser does once its user signed in: Playwright's own
        # login answer (http_credentials) only reaches the requests it serves (see below), never
        # the UI's websocket, and the run page's event log streams over that websocket.
        login = {"Authorization": basic_authorization(*credentials)} if credentials else {}
        # Fixed locale and time zone: the same dates and times in every picture.
        self.context = browser.new_context(
            viewport=VIEWPORT, locale="en-US", timezone_id="UTC", extra_http_headers=login
        )
        self.context.set_default_timeout(ACTION_TIMEOUT * 1000)
        self.page: Page = self.context.new_page()
        self.base_url = base_url.rstrip("/")
        self.console: list[str] = []
        self.page.on("console", lambda msg: self.console.append(f"[{msg.type}] {msg.text}"))
        self.page.on("pageerror", lambda error: self.console.append(f"[pageerror] {error}"))
        # Chromium aborts its in-flight requests with ERR_NETWORK_CHANGED whenever a network
        # interface appears on the host, loopback included, and every run container adds one
        # (a veth). The UI then dies with "Application error". So HTTP goes through
        # Playwright's own client instead (route.fetch), which does not care.
        self.context.route(re.compile(r"^https?://"), _fetch_outside_chromium)
        # The dialog shows on a first visit, at some point during loading: handle it whenever
        # it blocks an action, as a user would, instead of racing it once.
        self.page.add_locator_handler(
            self.page.get_by_role("button", name="Skip", exact=True), lambda skip: skip.click()
        )

    def close(self) -> None:
        """Close the tab and its browser context."""
        self.context.close()

    # ---- navigation and waiting ------------------------------------------------------

    def open(self, path: str) -> None:
        """Go to a UI path, e.g. "/asset-groups"."""
        self._load(lambda: self.page.goto(self.base_url + path))

    def reload(self) -> None:
        """Reload the page, as a user does when it seems stuck."""
        self._load(self.page.reload)

    def _load(self, navigate: Callable[[], Response | None]) -> None:
        """Navigate; a server error fails the test at once (the webserver answers none, even
        right after a Postgres restart: its pool pre-pings, dagster_platform/postgres_storage.py)."""
        response = navigate()
        if response is not None and response.status >= 500:
            raise AssertionError(f"{self.page.url} answered HTTP {response.status}")

    def wait_for(self, probe: Callable[[], Locator], timeout: float, what: str, reload_every: float = 30) -> Locator:
        """Wait until the element `probe()` returns is visible, reloading the page now and then.

        For things the platform does in the background (runs, sensor ticks, backfills): the
        UI updates most pages live, but a reload is what a user does when it seems stuck.
        `probe` runs again after every reload, so it may also set filters. Bounded by `timeout`.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                locator = probe()
                expect(locator).to_be_visible(timeout=max(1, min(reload_every, remaining)) * 1000)
                return locator
            except (AssertionError, PlaywrightError) as error:
                if time.monotonic() >= deadline:
                    message = f"timed out after {timeout:.0f}s waiting for {what} on {self.page.url}"
                    raise AssertionError(message) from error
                # A failed reload is just another miss: the next probe tells.
                with contextlib.suppress(AssertionError, PlaywrightError):
                    self.reload()

    # ---- assets and runs ---------------------------------------------------------------

    def materialize(self, asset: str) -> str:
        """Open an unpartitioned asset, click Materialize, follow the toast to the run; return its id."""
        self.open(f"/assets/{asset}")
        self.page.get_by_role("button", name=re.compile(r"Materialize$")).click()
        toast = self.page.get_by_role("region", name=re.compile("Notifications"))
        expect(toast.get_by_text(re.compile(r"Launched run"))).to_be_visible()
        toast.get_by_role("link", name="View").click()
        self.page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}"))
        return self.page.url.split("/runs/")[1].split("?")[0]

    def open_run(self, run_id: str) -> None:
        """Open a run's page."""
        self.open(f"/runs/{run_id}")

    def wait_for_run_to_finish(self, timeout: float = RUN_TIMEOUT) -> str:
        """On a run page: wait for the run's status tag to turn terminal; return it (e.g. "Success")."""
        status = self.wait_for(lambda: self.page.get_by_text(TERMINAL_RUN_STATUS).first, timeout, "the run to finish")
        return status.inner_text()

    def event_log_entry(self, event_type: str | re.Pattern[str]) -> Locator:
        """On a run page: an event of `event_type` (e.g. "RUN_SUCCESS") in the structured event
        log, once it has streamed in over the UI's websocket. The log draws only the rows in
        view, the last ones of a finished run: ask for an event near its end."""
        entry = self.page.get_by_text(event_type, exact=True).first
        expect(entry).to_be_visible()
        return entry

    def show_step_logs(self, step: str, stream: str = "stdout") -> Locator:
        """On a run page: switch the log panel to a step's stdout or stderr; return the panel's text."""
        self.page.get_by_role("button", name=re.compile(rf"{stream}$")).click()
        self.page.get_by_role("combobox", name="Select a step…").click()
        self.page.get_by_role("menuitem", name=step, exact=True).click()
        return self.page.get_by_role("code")

    # ---- partitions --------------------------------------------------------------------

    def backfill(self, asset: str, partitions: list[str]) -> None:
        """Launch a backfill of some partitions from the asset's "Materialize…" dialog."""
        self.open(f"/assets/{asset}?view=partitions")
        self.page.get_by_role("button", name=re.compile(r"Materialize…$")).click()
        dialog = self.page.get_by_role("dialog")
        selection = dialog.get_by_role("textbox")
        selection.fill(", ".join(partitions))
        selection.press("Enter")
        expect(dialog.get_by_text(re.compile(rf"\b{len(partitions)} partitions?\b"))).to_be_visible()
        dialog.get_by_role("button", name="Launch backfill").click()
        expect(dialog).to_be_hidden()

    def partition_listed(self, partition: str, status: str) -> Locator:
        """On an asset's partitions view: show only partitions in `status` (e.g. "Missing"),
        filter by name; return the entry of `partition` (visible only if it has that status)."""
        for state in PARTITION_STATES:
            label = re.compile(rf"^{state} \(\d+\)$")
            if self.page.get_by_role("checkbox", name=label).is_checked() != (state == status):
                # The checkbox input is hidden behind its styled label: click the label, as a user does.
                self.page.get_by_text(label).click()
        self.page.get_by_role("textbox", name="Filter by name…").fill(partition)
        return self.page.get_by_text(partition, exact=True).first

    # ---- automation ----------------------------------------------------------------------

    def open_sensor(self, name: str) -> None:
        """Open a sensor from the Automation page."""
        self.open("/automation")
        self.page.get_by_role("link", name=re.compile(rf"\b{re.escape(name)}\b")).click()
        expect(self.sensor_property("Running")).to_be_visible()

    def sensor_property(self, label: str) -> Locator:
        """On a sensor page: the row of its property table labelled `label` ("Running", "Latest tick")."""
        return self.page.get_by_role("row", name=re.compile(rf"^{re.escape(label)}\b"))

    def tick_requesting_a_run(self, mentioning: str) -> Locator:
        """On a sensor page: the tick in its history that requested a run and mentions
        `mentioning` (the landing sensor's cursor holds the keys it has seen)."""
        return self.page.get_by_role("row").filter(has_text=mentioning).filter(has_text="1 run requested")

    # ---- evidence ------------------------------------------------------------------------

    def save(self, name: str, *, failed: bool, directory: Path = ARTIFACTS_DIR) -> list[Path]:
        """Save a screenshot as <name>.png; when `failed`, also the page's HTML and console log."""
        directory.mkdir(parents=True, exist_ok=True)
        saved = [directory / f"{name}.png"]
        self.page.screenshot(path=saved[0])
        for stale in (directory / f"{name}.html", directory / f"{name}.console.log"):
            stale.unlink(missing_ok=True)
        if failed:
            html, console = directory / f"{name}.html", directory / f"{name}.console.log"
            html.write_text(self.page.content())
            console.write_text("\n".join([f"url: {self.page.url}", *self.console]) + "\n")
            saved += [html, console]
        return saved
