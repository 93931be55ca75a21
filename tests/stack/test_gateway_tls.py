"""The gateway with TLS on: a second, real Caddy from the stack's image and Caddyfile with
GATEWAY_EDITOR_ADDRESS=https://localhost (Caddy's internal CA, as on a laptop that wants
HTTPS; a real domain takes the same path with an ACME certificate instead).

It serves a certificate the test trusts once it has the gateway's local root CA, redirects
HTTP to HTTPS, sends HSTS on HTTPS, and keeps login and the cross-site rules.
"""

import pytest
import requests
from conftest import poll_until
from gateway import EDITOR, REQUEST_TIMEOUT, SET_AUTOMATION_PAUSED, extra_gateway

pytestmark = pytest.mark.stack

ROOT_CA = "/data/caddy/pki/authorities/local/root.crt"


@pytest.fixture(scope="module")
def tls_gateway(stack, tmp_path_factory):
    """(HTTPS base URL, HTTP base URL, path of the gateway's root CA) of a gateway on TLS."""
    env = {
        "GATEWAY_EDITOR_ADDRESS": "https://localhost",
        "GATEWAY_EDITOR_USER": EDITOR[0],
        "GATEWAY_EDITOR_PASSWORD_HASH": stack.env["GATEWAY_EDITOR_PASSWORD_HASH"],
    }
    with extra_gateway(stack, env, ports=(8080, 8443)) as gateway:
        port = gateway[8443].rsplit(":", 1)[1]
        https, http = f"https://localhost:{port}", f"http://{gateway[8080]}"

        def root_ca():
            return stack.docker("exec", gateway["name"], "cat", ROOT_CA, check=False).stdout

        pem = poll_until(root_ca, 60, "the gateway's local CA", interval=1)
        ca_file = tmp_path_factory.mktemp("gateway-ca") / "root.crt"
        ca_file.write_text(pem)

        def serves():
            try:
                return requests.get(https + "/", verify=str(ca_file), timeout=5).status_code == 401
            except (requests.ConnectionError, requests.exceptions.SSLError):
                return False

        poll_until(serves, 60, "the gateway to serve HTTPS", interval=1)
        yield https, http, str(ca_file)


def test_the_certificate_is_trusted_once_the_local_ca_is(tls_gateway):
    """With the gateway's root CA the certificate verifies for localhost; without it, it does not."""
    https, _, ca_file = tls_gateway
    assert requests.get(https + "/", auth=EDITOR, verify=ca_file, timeout=REQUEST_TIMEOUT).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(https + "/", timeout=REQUEST_TIMEOUT)


def test_http_redirects_to_https(tls_gateway):
    """Plain HTTP to the site's name is answered with a permanent redirect to HTTPS."""
    _, http, _ = tls_gateway
    response = requests.get(
        http + "/runs", headers={"Host": "localhost"}, allow_redirects=False, timeout=REQUEST_TIMEOUT
    )
    assert response.status_code in (301, 308)
    assert response.headers["Location"].startswith("https://localhost")


def test_https_sends_hsts_and_keeps_the_rules(tls_gateway):
    """On HTTPS: HSTS, login, and a GET mutation still refused."""
    https, _, ca_file = tls_gateway
    page = requests.get(https + "/", auth=EDITOR, verify=ca_file, timeout=REQUEST_TIMEOUT)
    assert page.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    assert page.headers.get("X-Frame-Options") == "DENY"
    mutation = requests.get(
        https + "/graphql",
        params={"query": SET_AUTOMATION_PAUSED % "true"},
        auth=EDITOR,
        verify=ca_file,
        timeout=REQUEST_TIMEOUT,
    )
    assert mutation.status_code == 415
