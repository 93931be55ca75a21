"""The front door on the wire: the gateway (a real Caddy) in front of the real webservers.

Login (401 without it), roles (viewers reach only the read-only webserver, which refuses
mutations itself: launch, re-execution, sensor and automation switches), and no cross-site
request: a GET mutation (under any spelling of the path), a form POST and a foreign Origin,
each sent WITH valid credentials, change nothing; behind a TLS-terminating load balancer
only the configured public origin joins the gateway's own. Each refusal is checked on the
state the request would have changed (the instance's automation switch, a sensor, the runs),
not only on the status code, and a legitimate request changing that state shows the check
can see a change.
"""

import uuid

import pytest
import requests
from conftest import poll_until
from gateway import (
    CROSS_SITE_REQUESTS,
    EDITOR,
    FOREIGN_ORIGIN,
    REQUEST_TIMEOUT,
    VIEWER,
    Gateway,
    assert_cross_site_requests_change_nothing,
    assert_no_spelling_changes_automation,
    extra_gateway,
    flip,
    launch_mutation,
    reexecution_mutation,
    restored_automation,
    runs_tagged,
    sensor,
    switch_sensor,
    websocket_upgrade,
)

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def gateway(stack) -> Gateway:
    """The stack's gateway sites."""
    return Gateway.from_env(stack.env)


@pytest.fixture
def automation(gateway):
    """The automation switch's value before the test; restored afterwards."""
    with restored_automation(gateway) as before:
        yield before


@pytest.fixture(scope="module")
def editors_run(gateway) -> tuple[str, str]:
    """(tag, run id) of a run an editor launched with a JSON POST through the editors' site."""
    tag = uuid.uuid4().hex
    result = gateway.data(gateway.editor_url, launch_mutation(gateway, tag), auth=EDITOR)["launchPipelineExecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return tag, result["run"]["runId"]


@pytest.fixture
def switched_sensor(gateway):
    """The sensor the tests switch, as it is before the test; its status restored afterwards."""
    before = sensor(gateway)
    yield before
    if sensor(gateway)["status"] != before["status"]:
        switch_sensor(gateway, gateway.editor_url, EDITOR, before, on=before["status"] == "RUNNING")


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


def test_editor_launches_a_run(gateway, editors_run):
    """An editor's JSON POST launches a run through the gateway; the run is in the storage."""
    tag, run_id = editors_run
    assert runs_tagged(gateway, tag) == [run_id]


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


def test_the_viewers_site_refuses_re_execution(gateway, editors_run):
    """Re-executing an editor's run from the viewers' site is refused by the read-only
    webserver: no run names it as its parent."""
    _, parent = editors_run
    result = gateway.data(gateway.viewer_url, reexecution_mutation(parent), auth=VIEWER)["launchPipelineReexecution"]
    assert result["__typename"] == "UnauthorizedError", result
    assert runs_tagged(gateway, parent, key="dagster/parent_run_id") == []


def test_the_viewers_site_refuses_sensor_switches(gateway, switched_sensor):
    """stopSensor and startSensor from the viewers' site are refused by the read-only
    webserver, the sensor staying as it was each time; between the two, the editors' site
    switches it (the control: the status read can see a change)."""
    status = switched_sensor["status"]
    for _ in range(2):
        on = status != "RUNNING"
        refused = switch_sensor(gateway, gateway.viewer_url, VIEWER, switched_sensor, on=on)
        assert refused["__typename"] == "UnauthorizedError", refused
        assert sensor(gateway)["status"] == status
        switched = switch_sensor(gateway, gateway.editor_url, EDITOR, switched_sensor, on=on)
        assert switched["__typename"] in ("Sensor", "StopSensorMutationResult"), switched
        status = "RUNNING" if on else "STOPPED"
        assert sensor(gateway)["status"] == status


# ---- no cross-site requests ----------------------------------------------------------------


def test_a_same_origin_json_post_changes_the_state(gateway, automation):
    """The control: the UI's own kind of request (JSON POST, own Origin) flips the switch,
    so the refusals below are seen on a state that can change."""
    response = gateway.graphql(
        gateway.editor_url, flip(automation), auth=EDITOR, headers={"Origin": gateway.origin(gateway.editor_url)}
    )
    assert response.status_code == 200 and not response.json().get("errors"), response.text[:500]
    assert gateway.automation_paused() is (not automation)


@pytest.mark.parametrize("send", CROSS_SITE_REQUESTS.values(), ids=CROSS_SITE_REQUESTS.keys())
def test_requests_a_foreign_page_can_send_change_nothing(gateway, automation, send):
    """A GET mutation and the POSTs a form or a plain fetch() can send cross-site, with an
    editor's credentials (the browser adds them): refused (415), and the switch and the runs
    are unchanged."""
    assert_cross_site_requests_change_nothing(gateway, send, automation)


# Spellings of /graphql a browser or a proxy might pass on: each must be refused by the gateway
# or reach no GraphQL endpoint of the webserver.
GRAPHQL_SPELLINGS = [
    "//graphql",
    "///graphql",
    "/./graphql",
    "/x/../graphql",
    "/../graphql",
    "/GRAPHQL",
    "/GraphQL",
    "/%67raphql",
    "/graphq%6C",
    "/%2Fgraphql",
    "/graphql/",
    "/graphql%2F",
    "/graphql;x",
]


def test_no_spelling_of_the_path_sneaks_a_get_mutation_through(gateway, automation):
    """A GET mutation sent, with an editor's credentials, to a doubled slash, a dot segment, another case or
    a percent-escape of /graphql switches nothing."""
    assert_no_spelling_changes_automation(gateway, GRAPHQL_SPELLINGS, automation)


def test_a_foreign_origin_changes_nothing(gateway, automation):
    """A JSON POST naming another site in Origin is refused (403) and changes nothing."""
    response = gateway.graphql(gateway.editor_url, flip(automation), auth=EDITOR, headers={"Origin": FOREIGN_ORIGIN})
    assert response.status_code == 403, (response.status_code, response.text[:300])
    assert gateway.automation_paused() == automation


@pytest.mark.parametrize("origin", [FOREIGN_ORIGIN, "null"])
def test_a_foreign_websocket_is_refused(gateway, origin):
    """The GraphQL websocket (subscriptions: run logs) opens only from the UI's own origin."""
    assert websocket_upgrade(gateway.editor_url, origin, EDITOR) == 403
    assert websocket_upgrade(gateway.editor_url, gateway.origin(gateway.editor_url), EDITOR) == 101


# ---- behind a load balancer that terminates TLS ------------------------------------------------

PUBLIC_ORIGIN = "https://dagster.example.test"


@pytest.fixture(scope="module")
def behind_a_tls_load_balancer(stack) -> Gateway:
    """A second, real gateway in front of the stack's webservers with
    GATEWAY_PUBLIC_ORIGIN=PUBLIC_ORIGIN: plain HTTP to it, as from a load balancer that
    terminates TLS for that name while browsers send that Origin."""
    env = {
        "GATEWAY_PUBLIC_ORIGIN": PUBLIC_ORIGIN,
        "GATEWAY_EDITOR_USER": EDITOR[0],
        "GATEWAY_EDITOR_PASSWORD_HASH": stack.env["GATEWAY_EDITOR_PASSWORD_HASH"],
    }
    with extra_gateway(stack, env) as extra:
        behind = Gateway(editor_url=f"http://{extra[8080]}", viewer_url=f"http://{extra[8081]}")

        def answers():
            try:
                return (
                    requests.get(behind.editor_url + "/server_info", auth=EDITOR, timeout=REQUEST_TIMEOUT).status_code
                    == 200
                )
            # Not up yet, or slow on a loaded host: ask again.
            except requests.RequestException:
                return False

        poll_until(answers, 180, "the gateway behind the load balancer to answer", interval=1)
        yield behind


@pytest.fixture
def automation_behind(behind_a_tls_load_balancer):
    """The automation switch's value before the test; restored afterwards."""
    with restored_automation(behind_a_tls_load_balancer) as before:
        yield before


def test_the_public_origin_may_write(behind_a_tls_load_balancer, automation_behind):
    """The UI's JSON POST from the public https origin (the gateway itself sees http) passes
    and switches automation: the UI works behind the load balancer."""
    behind = behind_a_tls_load_balancer
    response = behind.graphql(
        behind.editor_url, flip(automation_behind), auth=EDITOR, headers={"Origin": PUBLIC_ORIGIN}
    )
    assert response.status_code == 200 and not response.json().get("errors"), response.text[:300]
    assert behind.automation_paused() is (not automation_behind)


@pytest.mark.parametrize(
    ("origin", "headers"),
    [
        (FOREIGN_ORIGIN, {}),
        ("http://dagster.example.test", {}),
        ("https://dagster.example.test.evil.example", {}),
        ("https://{own}", {"X-Forwarded-Proto": "https"}),
        ("https://evil.example", {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}),
    ],
    ids=["foreign", "public-host-over-http", "public-host-as-a-prefix", "own-host-as-https", "forwarded-host"],
)
def test_other_origins_change_nothing_behind_the_load_balancer(
    behind_a_tls_load_balancer, automation_behind, origin, headers
):
    """Any other Origin is still refused (403) and switches nothing, whatever X-Forwarded-*
    headers the client adds (they are never trusted: any client can send them)."""
    behind = behind_a_tls_load_balancer
    origin = origin.format(own=behind.origin(behind.editor_url).split("://", 1)[1])
    response = behind.graphql(
        behind.editor_url, flip(automation_behind), auth=EDITOR, headers={"Origin": origin, **headers}
    )
    assert response.status_code == 403, (response.status_code, response.text[:300])
    assert behind.automation_paused() == automation_behind


def test_the_editors_public_origin_is_not_the_viewers(behind_a_tls_load_balancer):
    """GATEWAY_PUBLIC_ORIGIN is the editors' site's: the viewers' site (its own
    GATEWAY_VIEWER_PUBLIC_ORIGIN, empty here) refuses it."""
    behind = behind_a_tls_load_balancer
    response = behind.graphql(behind.viewer_url, "{ version }", auth=EDITOR, headers={"Origin": PUBLIC_ORIGIN})
    assert response.status_code == 403


# ---- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("site", ["editor_url", "viewer_url"])
def test_no_other_site_may_frame_the_ui(gateway, site):
    """Clickjacking: the UI forbids framing, in both header forms; no HSTS on plain HTTP."""
    response = requests.get(getattr(gateway, site) + "/", auth=EDITOR, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")
    assert "Strict-Transport-Security" not in response.headers
