"""scripts/preflight.py, gateway rules: in prod a webserver refuses to start when the gateway
in front of it has no login (no users, the template's published users, no SSO proxy) or
serves that login over plain HTTP to the network.

That the login-less webservers themselves publish no port is no preflight rule (a container
cannot see its own published ports): test_platform_config.py::test_only_the_gateway_is_published
checks it on the compose files."""

import base64
import importlib.util
import re
from pathlib import Path

import pytest
from env_overrides import overridden

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("preflight", ROOT / "scripts" / "preflight.py")
preflight = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(preflight)

# A bcrypt hash of a password nobody published, base64-encoded as the gateway takes it.
OWN_HASH = base64.b64encode(b"$2a$14$Zq0vYb2uJ7m1c7jJd6b0UeQ1m9oKk1Qf3uUuQbYbqGx0b2o8mY3iS").decode()

# A safe prod webserver: the other preflight rules all pass, and the gateway has an editor.
SAFE_PROD_WEBSERVER = {
    "PLATFORM_ENV": "prod",
    "DAGSTER_CURRENT_IMAGE": "registry.example.com/platform/dagster:2026.12.03-1a2b3c",
    "GATEWAY_AUTH": "basic",
    "GATEWAY_EDITOR_USER": "alice",
    "GATEWAY_EDITOR_PASSWORD_HASH": OWN_HASH,
    "GATEWAY_VIEWER_USER": "",
    "GATEWAY_VIEWER_PASSWORD_HASH": "",
    "GATEWAY_SSO_UPSTREAM": "",
}


def template_value(name: str) -> str:
    """The value .env.example gives `name`."""
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} is not set in .env.example")


def test_safe_prod_webserver_passes():
    """The baseline breaks no rule (else every refusal below would prove nothing)."""
    assert preflight.problems(SAFE_PROD_WEBSERVER) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"GATEWAY_EDITOR_USER": ""}, "GATEWAY_EDITOR_USER or GATEWAY_EDITOR_PASSWORD_HASH is empty"),
        ({"GATEWAY_EDITOR_PASSWORD_HASH": ""}, "GATEWAY_EDITOR_USER or GATEWAY_EDITOR_PASSWORD_HASH is empty"),
        ({"GATEWAY_EDITOR_PASSWORD_HASH": "hunter2hunter2"}, "GATEWAY_EDITOR_PASSWORD_HASH is not a bcrypt hash"),
        ({"GATEWAY_AUTH": ""}, "GATEWAY_AUTH='' must be one of basic, sso"),
        ({"GATEWAY_AUTH": "none"}, "GATEWAY_AUTH='none' must be one of basic, sso"),
        ({"GATEWAY_AUTH": "sso"}, "GATEWAY_AUTH=sso but GATEWAY_SSO_UPSTREAM is empty"),
    ],
)
def test_gateway_without_a_login_is_refused(overrides, message):
    """Each way of leaving the UI without a login is refused, naming the variable."""
    found = preflight.problems(overridden(SAFE_PROD_WEBSERVER, **overrides))
    assert any(message in problem for problem in found), found


@pytest.mark.parametrize("role", ["EDITOR", "VIEWER"])
def test_the_templates_published_users_are_refused(role):
    """.env.example's users sign in with passwords printed in that file: never in prod."""
    name = f"GATEWAY_{role}_PASSWORD_HASH"
    found = preflight.problems(overridden(SAFE_PROD_WEBSERVER, **{name: template_value(name)}))
    assert any(f"{name} is the template's" in problem for problem in found), found


@pytest.mark.parametrize(
    "overrides",
    [
        {"GATEWAY_AUTH": "sso", "GATEWAY_SSO_UPSTREAM": "oauth2-proxy:4180", "GATEWAY_EDITOR_USER": None},
        {"GATEWAY_EDITOR_PASSWORD_HASH": base64.b64decode(OWN_HASH).decode()},
        {"GATEWAY_VIEWER_USER": "bob", "GATEWAY_VIEWER_PASSWORD_HASH": OWN_HASH},
    ],
    ids=["sso", "raw-bcrypt-hash", "with-a-viewer"],
)
def test_what_prod_really_uses_is_accepted(overrides):
    """SSO without local users, a raw (not base64) hash and a viewer user are all fine."""
    assert preflight.problems(overridden(SAFE_PROD_WEBSERVER, **overrides)) == []


def test_containers_without_the_gateway_settings_are_not_checked():
    """Only the webservers carry the gateway's settings; other containers skip these rules."""
    env = {k: v for k, v in SAFE_PROD_WEBSERVER.items() if not k.startswith("GATEWAY_")}
    assert preflight.problems(env) == []


@pytest.mark.parametrize("environment", ["local", "ci"])
def test_local_and_ci_keep_the_template_users(environment):
    """Outside prod the published local users are the point: the quickstart signs in with them."""
    env = overridden(
        SAFE_PROD_WEBSERVER,
        PLATFORM_ENV=environment,
        GATEWAY_EDITOR_PASSWORD_HASH=template_value("GATEWAY_EDITOR_PASSWORD_HASH"),
    )
    assert preflight.problems(env) == []


# ---- the login over the network: TLS at the gateway, or at a load balancer in front ----------


def prod_template_gateway(**filled: str) -> dict[str, str]:
    """The webserver's gateway settings as env/prod.env.example leaves them, with `filled`
    values set, through compose's defaults for empty ones (as the container sees them)."""
    values = dict(
        line.split("=", 1)
        for line in (ROOT / "env/prod.env.example").read_text().splitlines()
        if re.match(r"GATEWAY_[A-Z_]+=", line)
    )
    compose_defaults = {"GATEWAY_EDITOR_ADDRESS": "http://:8080", "GATEWAY_VIEWER_ADDRESS": "http://:8081"}
    env = {**SAFE_PROD_WEBSERVER, **{k: v or compose_defaults.get(k, "") for k, v in values.items()}}
    return {**env, "GATEWAY_EDITOR_USER": "alice", "GATEWAY_EDITOR_PASSWORD_HASH": OWN_HASH, **filled}


def test_the_prod_template_asks_for_host_names():
    """env/prod.env.example publishes the gateway on 0.0.0.0: with its addresses left empty
    (plain http://:8080 and :8081) the preflight refuses both sites and says what to set."""
    found = preflight.problems(prod_template_gateway())
    for address, origin in (
        ("GATEWAY_EDITOR_ADDRESS", "GATEWAY_PUBLIC_ORIGIN"),
        ("GATEWAY_VIEWER_ADDRESS", "GATEWAY_VIEWER_PUBLIC_ORIGIN"),
    ):
        assert any(
            p.startswith(f"{address}=http://") and "GATEWAY_BIND=0.0.0.0" in p and f"set {origin}=https://" in p
            for p in found
        ), found


@pytest.mark.parametrize(
    "filled",
    [
        {"GATEWAY_EDITOR_ADDRESS": "dagster.example.com", "GATEWAY_VIEWER_ADDRESS": "viewer.dagster.example.com"},
        {
            "GATEWAY_EDITOR_ADDRESS": "https://dagster.example.com",
            "GATEWAY_VIEWER_ADDRESS": "https://viewer.example.com:8443",
        },
        {
            "GATEWAY_PUBLIC_ORIGIN": "https://dagster.example.com",
            "GATEWAY_VIEWER_PUBLIC_ORIGIN": "https://viewer.example.com",
        },
        {"GATEWAY_BIND": "127.0.0.1"},
    ],
    ids=["host-names", "https-addresses", "tls-at-a-load-balancer", "loopback-only"],
)
def test_the_prod_template_filled_in_passes(filled):
    """Host names (HTTPS at the gateway), https public origins (TLS at a load balancer), or a
    gateway kept on loopback: each is a prod setup the preflight accepts."""
    assert preflight.problems(prod_template_gateway(**filled)) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"GATEWAY_VIEWER_ADDRESS": "http://viewer.example.com"}, "GATEWAY_VIEWER_ADDRESS=http://viewer.example.com serves the login over plain HTTP"),
        ({"GATEWAY_VIEWER_ADDRESS": ":8081"}, "GATEWAY_VIEWER_ADDRESS=:8081 serves the login over plain HTTP"),
        ({"GATEWAY_VIEWER_ADDRESS": "viewer.example.com:80"}, "GATEWAY_VIEWER_ADDRESS=viewer.example.com:80 serves"),
        ({"GATEWAY_VIEWER_ADDRESS": "viewer.example.com, http://:8081"}, "GATEWAY_VIEWER_ADDRESS=viewer.example.com, http://:8081 serves"),
        ({"GATEWAY_PUBLIC_ORIGIN": "http://dagster.example.com"}, "GATEWAY_EDITOR_ADDRESS=http://:8080 serves"),
        ({"GATEWAY_PUBLIC_ORIGIN": "https://dagster.example.com/dagster"}, "GATEWAY_PUBLIC_ORIGIN='https://dagster.example.com/dagster' is not an origin"),
        ({"GATEWAY_VIEWER_PUBLIC_ORIGIN": 'https://x" || true || "'}, "GATEWAY_VIEWER_PUBLIC_ORIGIN='https://x\" || true || \"' is not an origin"),
    ],
    ids=["http-host-name", "no-host-name", "port-80", "one-of-two-addresses", "http-public-origin", "origin-with-a-path", "not-an-origin"],
)  # fmt: skip
def test_plain_http_to_the_network_is_refused(overrides, message):
    """A site that would send passwords or session cookies in clear text over the network, and
    a public origin the Caddyfile could not compare, are refused, naming the variables. The
    baseline: editors behind a TLS load balancer, viewers on a host name of their own."""
    env = prod_template_gateway(
        GATEWAY_EDITOR_ADDRESS="http://:8080",
        GATEWAY_VIEWER_ADDRESS="viewer.example.com",
        GATEWAY_PUBLIC_ORIGIN="https://dagster.example.com",
        GATEWAY_VIEWER_PUBLIC_ORIGIN="",
    )
    assert preflight.problems(env) == [], "the baseline must pass"
    found = preflight.problems(overridden(env, **overrides))
    assert any(message in problem for problem in found), found
