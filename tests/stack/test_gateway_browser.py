"""The viewer's role in a real Chromium: signed in on the gateway's viewers' site, a viewer
sees a run and its logs, while the read-only webserver keeps the Materialize button disabled.
"""

import re
import uuid

import pytest
from browser import DagsterUI, launch_chromium
from gateway import EDITOR, VIEWER, Gateway, launch_mutation, runs_tagged
from playwright.sync_api import expect, sync_playwright
from test_ui_browser import chromium_executable  # noqa: F401 - the fixture: skip or fail without Chromium

pytestmark = pytest.mark.stack

ASSET = "raw_orders"


@pytest.fixture(scope="module")
def viewer_tab(stack, chromium_executable, request):  # noqa: F811 - the imported fixture
    """A Chromium tab signed in as the viewer on the viewers' site; saved as a screenshot after."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium_executable)
        tab = DagsterUI(browser, Gateway.from_env(stack.env).viewer_url, credentials=VIEWER)
        try:
            yield tab
        finally:
            for path in tab.save("viewer", failed=bool(getattr(request.session, "stack_failures", None))):
                print(f"[ui] saved {path}")
            tab.close()
            browser.close()


@pytest.fixture(scope="module")
def editors_run(stack) -> str:
    """Id of a run an editor launched through the editors' site."""
    gateway = Gateway.from_env(stack.env)
    tag = uuid.uuid4().hex
    launched = gateway.data(gateway.editor_url, launch_mutation(gateway, tag), auth=EDITOR)
    assert launched["launchPipelineExecution"]["__typename"] == "LaunchRunSuccess", launched
    return runs_tagged(gateway, tag)[0]


def test_viewer_sees_the_editors_run(viewer_tab, editors_run):
    """The run page of an editor's run opens for the viewer, with its event log (streamed
    through the gateway's websocket route, signed in)."""
    viewer_tab.open(f"/runs/{editors_run}")
    expect(viewer_tab.page.get_by_text(editors_run[:8]).first).to_be_visible()
    viewer_tab.wait_for_run_to_finish()
    viewer_tab.event_log_entry(re.compile(r"^RUN_(SUCCESS|FAILURE|CANCELED)$"))


def test_viewer_cannot_materialize(viewer_tab):
    """On an asset's page the Materialize button is disabled: the server is read-only."""
    viewer_tab.open(f"/assets/{ASSET}")
    # Loaded first (the button is also disabled while the page loads): its definition shows.
    expect(viewer_tab.page.get_by_text(re.compile(r"^Code location$")).first).to_be_visible()
    viewer_tab.page.wait_for_load_state("networkidle")
    expect(viewer_tab.page.get_by_role("button", name=re.compile(r"Materialize$"))).to_be_disabled()
