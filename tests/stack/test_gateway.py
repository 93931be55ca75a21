"""The front door on the wire: the gateway (a real Caddy) in front of the real webservers.

Login (401 without it), roles (viewers reach only the read-only webserver, which refuses
mutations itself), and no cross-site request: a GET mutation, a form POST and a foreign
Origin, each sent WITH valid credentials, change nothing. Each refusal is checked on the
state the request would have changed (the instance's automation switch, the runs), not only
on the status code, and a same-origin JSON POST changing that state shows the check can see
a change.
"""

import json
import uuid

import pytest
import requests
from gateway import EDITOR, REQUEST_TIMEOUT, SET_AUTOMATION_PAUSED, VIEWER, Gateway, launch_mutation, runs_tagged

pytestmark = pytest.mark.stack

FOREIGN_ORIGIN = "https://evil.example"


@pytest.fixture(scope="module")
def gateway(stack) -> Gateway:
    """The stack's gateway sites."""
    return Gateway.from_env(stack.env)


@pytest.fixture
def automation(gateway):
    """The automation switch's value before the test; restored afterwards (through the
    editors' site, the legitimate way) whatever the test did to it."""
    before = gateway.automation_paused()
    yield before
    if gateway.automation_paused() != before:
        gateway.data(gateway.editor_url, SET_AUTOMATION_PAUSED % json.dumps(before), auth=EDITOR)


def flip(paused: bool) -> str:
    """The mutation that would switch automation to the other state."""
    return SET_AUTOMATION_PAUSED % json.dumps(not paused)


# ---- login ---------------------------------------------------------------------------------


@pytest.mark.parametrize("site", ["editor_url", "viewer_url"])
@pytest.mark.parametrize("path", ["/", "/graphql", "/runs", "/server_info"])
@pytest.mark.parametrize("auth", [None, ("editor", "wrong-password"), ("nobody", "local-only-editor-password")])
def test_no_login_no_ui(gateway, site, path, auth):
    """Without valid credentials every path of both sites answers 401 and a Basic challenge."""
    response = requests.get(getattr(gateway, site) + path, auth=auth, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 401, (response.status_code, response.text[:200])
    assert response.headers.get("WWW-Authenticate", "").startswith("Basic")


def test_viewer_cannot_sign_in_on_the_editors_site(gateway):
    """A viewer's credentials are not an editor's."""
    response = requests.get(gateway.editor_url + "/", auth=VIEWER, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 401


@pytest.mark.parametrize("auth", [EDITOR, VIEWER], ids=["editor", "viewer"])
def test_signed_in_users_see_the_ui_on_the_viewers_site(gateway, auth):
    """Viewers, and editors too, open the read-only UI and read through its GraphQL."""
    assert requests.get(gateway.viewer_url + "/", auth=auth, timeout=REQUEST_TIMEOUT).status_code == 200
    data = gateway.data(gateway.viewer_url, "{ version }", auth=auth)
    assert data["version"]


# ---- roles ---------------------------------------------------------------------------------


def test_editor_launches_a_run(gateway):
    """An editor's JSON POST launches a run through the gateway; the run is in the storage."""
    tag = uuid.uuid4().hex
    data = gateway.data(gateway.editor_url, launch_mutation(gateway, tag), auth=EDITOR)
    result = data["launchPipelineExecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    assert runs_tagged(gateway, tag) == [result["run"]["runId"]]


@pytest.mark.parametrize("auth", [VIEWER, EDITOR], ids=["viewer", "editor"])
def test_the_viewers_site_refuses_every_mutation(gateway, automation, auth):
    """On the viewers' site the read-only webserver refuses a launch and the automation
    switch, whoever signs in: no run, no change."""
    tag = uuid.uuid4().hex
    launched = gateway.data(gateway.viewer_url, launch_mutation(gateway, tag), auth=auth)["launchPipelineExecution"]
    assert launched["__typename"] == "UnauthorizedError", launched
    switched = gateway.graphql(gateway.viewer_url, flip(automation), auth=auth)
    # The server refuses it with an UnauthorizedError, which this field can only report as an
    # error (HTTP 500): the refusal is the server's own, the gateway let the request through.
    assert switched.json().get("errors") and "UnauthorizedError" in switched.text, switched.text[:500]
    assert runs_tagged(gateway, tag) == []
    assert gateway.automation_paused() == automation


# ---- no cross-site requests ----------------------------------------------------------------


def test_a_same_origin_json_post_changes_the_state(gateway, automation):
    """The control: the UI's own kind of request (JSON POST, own Origin) flips the switch,
    so the refusals below are seen on a state that can change."""
    response = gateway.graphql(
        gateway.editor_url, flip(automation), auth=EDITOR, headers={"Origin": gateway.editor_url}
    )
    assert response.status_code == 200 and not response.json().get("errors"), response.text[:500]
    assert gateway.automation_paused() is (not automation)


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(
            lambda url, q: requests.get(f"{url}/graphql", params={"query": q}, auth=EDITOR, timeout=REQUEST_TIMEOUT),
            id="get",
        ),
        pytest.param(
            lambda url, q: requests.post(f"{url}/graphql", data={"query": q}, auth=EDITOR, timeout=REQUEST_TIMEOUT),
            id="form-post",
        ),
        pytest.param(
            lambda url, q: requests.post(f"{url}/graphql", params={"query": q}, auth=EDITOR, timeout=REQUEST_TIMEOUT),
            id="query-in-url-post",
        ),
        pytest.param(
            lambda url, q: requests.post(
                f"{url}/graphql",
                data=json.dumps({"query": q}),
                headers={"Content-Type": "text/plain"},
                auth=EDITOR,
                timeout=REQUEST_TIMEOUT,
            ),
            id="text-plain-post",
        ),
    ],
)
def test_requests_a_foreign_page_can_send_change_nothing(gateway, automation, send):
    """A GET mutation and the POSTs a form or a plain fetch() can send cross-site, with an
    editor's credentials (the browser adds them): refused (415), and the switch and the runs
    are unchanged."""
    tag = uuid.uuid4().hex
    for query in (flip(automation), launch_mutation(gateway, tag)):
        response = send(gateway.editor_url, query)
        assert response.status_code == 415, (response.status_code, response.text[:300])
    assert gateway.automation_paused() == automation
    assert runs_tagged(gateway, tag) == []


def test_a_foreign_origin_changes_nothing(gateway, automation):
    """A JSON POST naming another site in Origin is refused (403) and changes nothing."""
    response = gateway.graphql(gateway.editor_url, flip(automation), auth=EDITOR, headers={"Origin": FOREIGN_ORIGIN})
    assert response.status_code == 403, (response.status_code, response.text[:300])
    assert gateway.automation_paused() == automation


@pytest.mark.parametrize("origin", [FOREIGN_ORIGIN, "null"])
def test_a_foreign_websocket_is_refused(gateway, origin):
    """The GraphQL websocket (subscriptions: run logs) opens only from the UI's own origin."""
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    refused = requests.get(
        f"{gateway.editor_url}/graphql", headers={**headers, "Origin": origin}, auth=EDITOR, timeout=REQUEST_TIMEOUT
    )
    assert refused.status_code == 403
    own = requests.get(
        f"{gateway.editor_url}/graphql",
        headers={**headers, "Origin": gateway.editor_url},
        auth=EDITOR,
        timeout=REQUEST_TIMEOUT,
        stream=True,
    )
    assert own.status_code == 101
    own.close()


# ---- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("site", ["editor_url", "viewer_url"])
def test_no_other_site_may_frame_the_ui(gateway, site):
    """Clickjacking: the UI forbids framing, in both header forms; no HSTS on plain HTTP."""
    response = requests.get(getattr(gateway, site) + "/", auth=EDITOR, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")
    assert "Strict-Transport-Security" not in response.headers
