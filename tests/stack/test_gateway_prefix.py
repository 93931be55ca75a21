"""The UI under a path prefix (DAGSTER_WEBSERVER_PATH_PREFIX), on the wire.

A real webserver started from the compose file's own `webserver` service with the prefix in
an extra env file (so its image, environment and healthcheck are the service's, interpolated
as compose does for a team that sets the prefix), behind a second real gateway from the
stack's image and Caddyfile. The webserver is joined to a network of the test's own under the
name `webserver`, where the gateway finds it; the stack's services are left as they are.

It becomes healthy (its probe asks {prefix}/server_info; outside the prefix the webserver
answers 404), the gateway forwards the prefix unstripped (UI, GraphQL, websocket and the
platform client under it), and the GraphQL rules hold under the prefix: a JSON POST switches
automation, a GET mutation or a form sent there changes nothing, and no spelling of the path,
with or without the prefix, sneaks a GET mutation through.
"""

import dataclasses
import uuid

import pytest
import requests
from conftest import poll_until
from gateway import (
    CROSS_SITE_REQUESTS,
    EDITOR,
    FOREIGN_ORIGIN,
    REQUEST_TIMEOUT,
    Gateway,
    assert_cross_site_requests_change_nothing,
    assert_no_spelling_changes_automation,
    extra_gateway,
    flip,
    restored_automation,
    websocket_upgrade,
)

import platform_client

pytestmark = pytest.mark.stack

PREFIX = "/dagster"


@dataclasses.dataclass(frozen=True)
class Prefixed:
    """The prefixed webserver's container and the gateway's sites (their URLs end in PREFIX)."""

    webserver: str
    gateway: Gateway


def health(stack, container: str) -> str:
    """The container's health status (`starting`, `healthy`, `unhealthy`)."""
    return stack.docker("inspect", "-f", "{{.State.Health.Status}}", container, check=False).stdout.strip()


@pytest.fixture(scope="module")
def prefixed(stack, tmp_path_factory):
    """A webserver serving under PREFIX, healthy by its own probe, behind a gateway."""
    env_file = tmp_path_factory.mktemp("path-prefix") / "prefix.env"
    env_file.write_text(f"DAGSTER_WEBSERVER_PATH_PREFIX={PREFIX}\n")
    with_prefix = dataclasses.replace(stack, env_files=[*stack.env_files, env_file])
    suffix = uuid.uuid4().hex[:8]
    webserver = f"{stack.env.get('COMPOSE_PROJECT_NAME', 'dagster-platform')}-prefixed-webserver-{suffix}"
    network = f"gateway-test-prefix-{suffix}"
    try:
        with_prefix.compose("run", "-d", "--no-deps", "--name", webserver, "webserver", timeout=300)
        stack.docker("network", "create", network)
        stack.docker("network", "connect", "--alias", "webserver", network, webserver)

        def healthy():
            status = health(stack, webserver)
            assert status != "unhealthy", stack.docker("logs", "--tail", "50", webserver, check=False).stderr
            return status == "healthy"

        poll_until(healthy, 300, "the prefixed webserver's healthcheck to pass", interval=2)
        env = {
            "DAGSTER_WEBSERVER_PATH_PREFIX": PREFIX,
            "GATEWAY_EDITOR_USER": EDITOR[0],
            "GATEWAY_EDITOR_PASSWORD_HASH": stack.env["GATEWAY_EDITOR_PASSWORD_HASH"],
        }
        with extra_gateway(stack, env, network=network) as extra:
            sites = Gateway(editor_url=f"http://{extra[8080]}{PREFIX}", viewer_url=f"http://{extra[8081]}{PREFIX}")

            def answers():
                try:
                    response = requests.get(f"{sites.editor_url}/server_info", auth=EDITOR, timeout=REQUEST_TIMEOUT)
                    return response.status_code == 200
                # Not up yet, or slow on a loaded host: ask again.
                except requests.RequestException:
                    return False

            poll_until(answers, 180, "the prefixed gateway to answer", interval=1)
            yield Prefixed(webserver, sites)
    finally:
        stack.docker("rm", "-f", webserver, check=False)
        stack.docker("network", "rm", network, check=False)


@pytest.fixture
def automation(prefixed):
    """The automation switch's value before the test; restored afterwards."""
    with restored_automation(prefixed.gateway) as before:
        yield before


def test_the_webservers_probe_asks_under_the_prefix(stack, prefixed):
    """The compose service's healthcheck, interpolated with the prefix, passes: it asks
    {prefix}/server_info, since outside the prefix the webserver answers 404."""
    probe = stack.inspect(prefixed.webserver)["Config"]["Healthcheck"]["Test"]
    assert probe[-1] == f"http://127.0.0.1:3000{PREFIX}/server_info"
    assert health(stack, prefixed.webserver) == "healthy"
    root = Gateway.origin(prefixed.gateway.editor_url)
    assert requests.get(f"{root}/server_info", auth=EDITOR, timeout=REQUEST_TIMEOUT).status_code == 404


def test_the_gateway_forwards_the_prefix_unstripped(prefixed):
    """UI, GraphQL, its websocket and the platform client all work under the prefix: the
    webserver serves nothing outside it, so a stripped prefix would fail each."""
    site = prefixed.gateway.editor_url
    page = requests.get(f"{site}/runs", auth=EDITOR, timeout=REQUEST_TIMEOUT)
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert prefixed.gateway.data(site, "{ version }", auth=EDITOR)["version"]
    assert websocket_upgrade(site, Gateway.origin(site), EDITOR) == 101
    assert websocket_upgrade(site, FOREIGN_ORIGIN, EDITOR) == 403
    assert platform_client.run_command(["--webserver", Gateway.signed_in(site, EDITOR), "version"])["version"]


def test_a_json_post_under_the_prefix_switches_automation(prefixed, automation):
    """The control: the UI's own request under the prefix changes the state the refusals
    below are checked on."""
    gateway = prefixed.gateway
    origin = {"Origin": Gateway.origin(gateway.editor_url)}
    response = gateway.graphql(gateway.editor_url, flip(automation), auth=EDITOR, headers=origin)
    assert response.status_code == 200 and not response.json().get("errors"), response.text[:300]
    assert gateway.automation_paused() is (not automation)


@pytest.mark.parametrize("send", CROSS_SITE_REQUESTS.values(), ids=CROSS_SITE_REQUESTS.keys())
def test_requests_a_foreign_page_can_send_change_nothing_under_the_prefix(prefixed, automation, send):
    """A GET mutation and the cross-site POSTs sent to {prefix}/graphql with an editor's
    credentials: refused (415), the switch and the runs unchanged."""
    assert_cross_site_requests_change_nothing(prefixed.gateway, send, automation)


def test_no_spelling_of_the_path_sneaks_a_get_mutation_through(prefixed, automation):
    """Doubled slashes, dot segments, case and percent-escapes of {prefix}/graphql, and the
    prefix-less /graphql spellings, switch nothing."""
    spellings = [
        f"{PREFIX}//graphql",
        f"/{PREFIX}/graphql",
        f"{PREFIX}/./graphql",
        f"{PREFIX}/x/../graphql",
        f"/x/..{PREFIX}/graphql",
        f"{PREFIX.upper()}/GRAPHQL",
        f"{PREFIX}/GraphQL",
        f"{PREFIX}/%67raphql",
        f"/%{ord(PREFIX[1]):02x}{PREFIX[2:]}/graphql",
        f"{PREFIX}%2Fgraphql",
        f"{PREFIX}/graphql/",
        f"{PREFIX}/graphql%2F",
        "/graphql",
        "//graphql",
        f"{PREFIX}/../graphql",
        "/GRAPHQL",
        "/%67raphql",
    ]
    assert_no_spelling_changes_automation(prefixed.gateway, spellings, automation)
