"""The gateway's SSO hook (GATEWAY_AUTH=sso, forward_auth): a second, real Caddy from the
stack's gateway image and Caddyfile, asking a stand-in SSO proxy (tests/stack/sso/) about
every request, in front of the stack's real webservers.

No session: the SSO proxy's redirect to its sign-in page reaches the browser. A session
with the role: the UI. A viewer's session on the editors' site: refused. The cross-site
rules hold whichever login is in use.
"""

import uuid
from pathlib import Path

import pytest
import requests
from conftest import poll_until
from gateway import REQUEST_TIMEOUT, SET_AUTOMATION_PAUSED

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
SSO_DIR = Path(__file__).resolve().parent / "sso"
EDITOR_SESSION = {"sso": "alice"}
VIEWER_SESSION = {"sso": "bob"}


@pytest.fixture(scope="module")
def sso_gateway(stack):
    """(editors' URL, viewers' URL) of a gateway with GATEWAY_AUTH=sso, on the stack's network,
    published on random loopback ports; it and its SSO stand-in are removed afterwards."""
    suffix = uuid.uuid4().hex[:8]
    network = stack.env["DAGSTER_NETWORK"]
    sso_name, gateway_name = f"gateway-test-sso-{suffix}", f"gateway-test-caddy-{suffix}"
    python_image = stack.env.get("PYTHON_BASE_IMAGE", "python:3.13.9-slim-trixie")
    caddy_image = stack.env.get("CADDY_IMAGE", "caddy:2.11.7")
    hardening = ["--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--read-only"]
    try:
        stack.docker(
            "run", "-d", "--name", sso_name, "--network", network, *hardening, "--user", "65534",
            "-v", f"{SSO_DIR}:/opt/sso:ro", python_image, "python3", "/opt/sso/sso_standin.py",
        )  # fmt: skip
        stack.docker(
            "run", "-d", "--name", gateway_name, "--network", network, *hardening,
            "--cap-add", "NET_BIND_SERVICE", "--tmpfs", "/config", "--tmpfs", "/data",
            "-e", "GATEWAY_AUTH=sso", "-e", f"GATEWAY_SSO_UPSTREAM={sso_name}:9091",
            "-e", "GATEWAY_SSO_EDITOR_URI=/auth?role=editor", "-e", "GATEWAY_SSO_VIEWER_URI=/auth?role=viewer",
            "-v", f"{ROOT / 'deploy/gateway/Caddyfile'}:/etc/caddy/Caddyfile:ro",
            "-p", "127.0.0.1::8080", "-p", "127.0.0.1::8081", caddy_image,
        )  # fmt: skip
        urls = tuple(
            "http://" + stack.docker("port", gateway_name, f"{port}/tcp").stdout.split()[0] for port in (8080, 8081)
        )

        def answers():
            try:
                return requests.get(urls[0] + "/", allow_redirects=False, timeout=5).status_code == 302
            except requests.ConnectionError:
                return False

        poll_until(answers, 60, "the SSO gateway to answer", interval=1)
        yield urls
    finally:
        for name in (gateway_name, sso_name):
            stack.docker("rm", "-f", name, check=False)


def get(url: str, cookies: dict[str, str] | None = None, **kwargs) -> requests.Response:
    """A request as a browser with (or without) an SSO session cookie sends it."""
    return requests.get(url, cookies=cookies, allow_redirects=False, timeout=REQUEST_TIMEOUT, **kwargs)


@pytest.mark.parametrize("site", [0, 1], ids=["editors", "viewers"])
def test_without_a_session_the_browser_goes_to_the_sign_in_page(sso_gateway, site):
    """The SSO proxy's redirect to its sign-in page is what the browser gets."""
    response = get(sso_gateway[site] + "/runs")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://sso.example/sign_in?rd=")


def test_an_editor_session_reaches_the_editors_ui(sso_gateway):
    """A session with the editor role gets the UI and its GraphQL."""
    assert get(sso_gateway[0] + "/", EDITOR_SESSION).status_code == 200
    response = requests.post(
        sso_gateway[0] + "/graphql", json={"query": "{ version }"}, cookies=EDITOR_SESSION, timeout=REQUEST_TIMEOUT
    )
    assert response.status_code == 200 and response.json()["data"]["version"]


def test_a_viewer_session_reaches_only_the_viewers_ui(sso_gateway):
    """The per-role URI lets the SSO proxy keep viewers out of the editors' site."""
    assert get(sso_gateway[0] + "/", VIEWER_SESSION).status_code == 403
    assert get(sso_gateway[1] + "/", VIEWER_SESSION).status_code == 200


def test_a_get_mutation_is_refused_behind_sso_too(sso_gateway):
    """A cookie session is exactly what a cross-site request rides on: a GET mutation with
    the editor's session is refused (415) before it reaches the webserver."""
    response = get(sso_gateway[0] + "/graphql", EDITOR_SESSION, params={"query": SET_AUTOMATION_PAUSED % "true"})
    assert response.status_code == 415
