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
from gateway import REQUEST_TIMEOUT, SET_AUTOMATION_PAUSED, extra_gateway

pytestmark = pytest.mark.stack

SSO_DIR = Path(__file__).resolve().parent / "sso"
EDITOR_SESSION = {"sso": "alice"}
VIEWER_SESSION = {"sso": "bob"}


@pytest.fixture(scope="module")
def sso_gateway(stack):
    """(editors' URL, viewers' URL) of a gateway with GATEWAY_AUTH=sso in front of the stack's
    webservers, asking the SSO stand-in; both are removed afterwards."""
    sso_name = f"gateway-test-sso-{uuid.uuid4().hex[:8]}"
    stack.docker(
        "run", "-d", "--name", sso_name, "--network", stack.env["DAGSTER_NETWORK"],
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--read-only", "--user", "65534",
        "-v", f"{SSO_DIR}:/opt/sso:ro", stack.env.get("PYTHON_BASE_IMAGE", "python:3.13.9-slim-trixie"),
        "python3", "/opt/sso/sso_standin.py",
    )  # fmt: skip
    env = {
        "GATEWAY_AUTH": "sso",
        "GATEWAY_SSO_UPSTREAM": f"{sso_name}:9091",
        "GATEWAY_SSO_EDITOR_URI": "/auth?role=editor",
        "GATEWAY_SSO_VIEWER_URI": "/auth?role=viewer",
    }
    try:
        with extra_gateway(stack, env) as gateway:
            urls = (f"http://{gateway[8080]}", f"http://{gateway[8081]}")

            def answers():
                try:
                    return requests.get(urls[0] + "/", allow_redirects=False, timeout=5).status_code == 302
                except requests.ConnectionError:
                    return False

            poll_until(answers, 60, "the SSO gateway to answer", interval=1)
            yield urls
    finally:
        stack.docker("rm", "-f", sso_name, check=False)


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
