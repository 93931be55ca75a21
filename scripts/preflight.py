"""Preflight: refuse to start a platform container with unsafe or missing settings.

    python3 -I -S scripts/preflight.py      (exit 64 and one line per problem; 0 if safe)

The one place these rules live: the image's entrypoint (scripts/container-entrypoint.sh)
runs this file before every process, and the doctor (scripts/doctor.py) imports it. It uses
only the standard library, so it runs with `-I -S` before anything else is imported.

Every container needs an explicit PLATFORM_ENV (the image has no default). In prod it also
requires:
- an immutable image reference (a digest, or a tag other than `local`/`latest`/none) in
  DAGSTER_IMAGE, DAGSTER_APP_IMAGE and DAGSTER_CURRENT_IMAGE, wherever the container knows them;
- PGSSLMODE require/verify-ca/verify-full and a real Postgres password, when the container
  talks to Postgres (DAGSTER_POSTGRES_HOST set; a Dagster+ code location has none);
- an https S3 endpoint (or none: AWS's default), and an AWS_CA_BUNDLE that, when set, is an
  existing file (set but empty, botocore would not verify the endpoint at all);
- either both AWS keys or neither (key-less: instance role or IRSA/web identity);
- no template default ("local-only") anywhere, and secrets of at least MIN_SECRET_LENGTH;
- in the webservers (the containers that know the gateway's settings): a gateway with a
  login, GATEWAY_AUTH=basic with an editor whose bcrypt hash is not the template's, or
  GATEWAY_AUTH=sso with an SSO proxy; and no site that serves that login over plain HTTP to
  the network (an http:// GATEWAY_EDITOR_ADDRESS/GATEWAY_VIEWER_ADDRESS on a GATEWAY_BIND
  other than loopback), unless the site's public origin (GATEWAY_PUBLIC_ORIGIN,
  GATEWAY_VIEWER_PUBLIC_ORIGIN) is https: TLS terminated by a load balancer in front.

What no container can see is whether its own port is published: that the webservers (no
login, mutations over GET) publish none and the gateway is the only way in is a property of
the compose files, checked by tests/unit/test_platform_config.py::test_only_the_gateway_is_published.
"""

import base64
import os
import sys
from collections.abc import Mapping

ENVIRONMENTS = ("dev", "local", "ci", "prod")
TEMPLATE_MARKER = "local-only"
MIN_SECRET_LENGTH = 12
SECURE_PGSSLMODES = ("require", "verify-ca", "verify-full")
MUTABLE_TAGS = ("local", "latest")
IMAGE_VARS = ("DAGSTER_IMAGE", "DAGSTER_APP_IMAGE", "DAGSTER_CURRENT_IMAGE")
# Secrets checked for length when set; the Postgres password is also required (see below).
SECRET_VARS = ("DAGSTER_POSTGRES_PASSWORD", "AWS_SECRET_ACCESS_KEY", "SNOWFLAKE_PRIVATE_KEY_PASSWORD")
EXIT_UNSAFE = 64
GATEWAY_AUTHS = ("basic", "sso")
# GATEWAY_BIND values that keep the gateway on the host itself (empty: compose's default).
LOOPBACK_BINDS = ("", "localhost", "::1", "[::1]")
# Each gateway site: its address variable, the Caddyfile's default, and the variable naming
# its public origin behind a TLS-terminating load balancer.
GATEWAY_SITES = (
    ("GATEWAY_EDITOR_ADDRESS", "http://:8080", "GATEWAY_PUBLIC_ORIGIN"),
    ("GATEWAY_VIEWER_ADDRESS", "http://:8081", "GATEWAY_VIEWER_PUBLIC_ORIGIN"),
)
# Ports Caddy serves plain HTTP on for an address without a scheme: the standard one and the
# Caddyfile's http_port.
CADDY_HTTP_PORTS = ("80", "8080")
# The bcrypt hashes (base64) of .env.example's local-only gateway users: their passwords are
# published in that file.
TEMPLATE_GATEWAY_HASHES = frozenset(
    {
        "JDJhJDE0JHZ1TWpWMk02WEV4RC81VXpGT2ljOWVLTHl0WEs1UWE5aGtHSXNsRzBHVVJhU1hjQ3VQUGJD",
        "JDJhJDE0JGdodHJXWGlDZ0ZMaC83dlhpQU1VQmVkbk1DdGVCbHEvelB5RFhTbGRvZ21hM01yLlVPS2RX",
    }
)


def image_problem(name: str, ref: str) -> str | None:
    """Why the image reference `ref` is not immutable, or None if it is.

    A digest (`repo@sha256:...`) is immutable; so, by convention, is a tag other than
    `local` or `latest`. No tag at all means `latest`.
    """
    if not ref:
        return f"{name} is empty; prod needs an immutable image (a digest or a release tag)"
    if "@sha256:" in ref:
        return None
    # The tag follows the last ':' after the last '/' (a registry may have a :port).
    last = ref.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else ""
    if tag in ("", *MUTABLE_TAGS):
        return f"{name}={ref} is a mutable tag ({tag or 'none, i.e. latest'}); prod needs a digest or a release tag"
    return None


def is_bcrypt(value: str) -> bool:
    """True for a bcrypt hash as Caddy's basic_auth takes it: raw ($2a$...) or base64-encoded."""
    if value.startswith("$2"):
        return True
    try:
        return base64.b64decode(value, validate=True).startswith(b"$2")
    except ValueError:
        return False


def serves_plain_http(address: str) -> bool:
    """True when a Caddy site address (one or more, comma- or space-separated) serves plain
    HTTP: an http:// scheme, no host name (`:8080`), or a port Caddy treats as HTTP."""
    for part in address.replace(",", " ").lower().split():
        if part.startswith("http://"):
            return True
        if "://" in part:
            continue
        # host, host:port, :port, [v6] or [v6]:port
        host, colon, port = part.rpartition(":")
        if not colon or host.endswith(":") or port.endswith("]"):
            host, port = part, ""
        if not host or port in CADDY_HTTP_PORTS:
            return True
    return False


def is_origin(value: str) -> bool:
    """True for a browser origin as the Caddyfile compares it: http(s)://host[:port], nothing else."""
    scheme, sep, host = value.partition("://")
    forbidden = set("/?#\"'`\\ \t@")
    return bool(sep) and scheme in ("http", "https") and bool(host) and not forbidden & set(host)


def is_loopback(bind: str) -> bool:
    """True when GATEWAY_BIND publishes the gateway on the host's loopback only."""
    return bind in LOOPBACK_BINDS or bind.startswith("127.")


def transport_problems(env: Mapping[str, str]) -> list[str]:
    """Gateway sites that would send the login (a password, or an SSO session cookie) in clear
    text over the network, and public origins that are no origin."""
    found = []
    bind = env.get("GATEWAY_BIND", "")
    for address_var, default, origin_var in GATEWAY_SITES:
        address, origin = env.get(address_var) or default, env.get(origin_var, "")
        if origin and not is_origin(origin):
            found.append(f"{origin_var}={origin!r} is not an origin: scheme://host[:port] as browsers send it")
        elif serves_plain_http(address) and not is_loopback(bind) and not origin.startswith("https://"):
            found.append(
                f"{address_var}={address} serves the login over plain HTTP on GATEWAY_BIND={bind} (not "
                f"loopback): give the site a host name (HTTPS), or behind a load balancer that terminates "
                f"TLS set {origin_var}=https://<its host name>"
            )
    return found


def gateway_problems(env: Mapping[str, str]) -> list[str]:
    """What keeps the UI from being safe to serve through the gateway in prod (webservers only)."""
    found = []
    auth = env.get("GATEWAY_AUTH", "")
    if auth not in GATEWAY_AUTHS:
        found.append(f"GATEWAY_AUTH={auth!r} must be one of {', '.join(GATEWAY_AUTHS)}: the gateway needs a login")
    elif auth == "sso" and not env.get("GATEWAY_SSO_UPSTREAM"):
        found.append("GATEWAY_AUTH=sso but GATEWAY_SSO_UPSTREAM is empty: the gateway has no SSO proxy to ask")
    elif auth == "basic":
        if not env.get("GATEWAY_EDITOR_USER") or not env.get("GATEWAY_EDITOR_PASSWORD_HASH"):
            found.append("GATEWAY_AUTH=basic but GATEWAY_EDITOR_USER or GATEWAY_EDITOR_PASSWORD_HASH is empty")
        for role in ("EDITOR", "VIEWER"):
            name = f"GATEWAY_{role}_PASSWORD_HASH"
            value = env.get(name, "")
            if value in TEMPLATE_GATEWAY_HASHES:
                found.append(f"{name} is the template's (its password is published); set your own")
            elif value and not is_bcrypt(value):
                found.append(f"{name} is not a bcrypt hash; make one with scripts/gateway-password")
    return found + transport_problems(env)


def problems(env: Mapping[str, str]) -> list[str]:
    """Every rule `env` breaks, one sentence each naming the variable; empty if it is safe."""
    platform_env = env.get("PLATFORM_ENV", "")
    if platform_env not in ENVIRONMENTS:
        return [f"PLATFORM_ENV={platform_env!r} must be set explicitly to one of {', '.join(ENVIRONMENTS)}"]
    if platform_env != "prod":
        return []

    found = []
    for name in IMAGE_VARS:
        if name in env and (problem := image_problem(name, env[name])):
            found.append(problem)

    # Empty counts as unset, as it does for libpq and boto.
    if env.get("DAGSTER_POSTGRES_HOST"):
        if not env.get("DAGSTER_POSTGRES_PASSWORD"):
            found.append("DAGSTER_POSTGRES_PASSWORD is required in prod and is empty or unset")
        if env.get("PGSSLMODE", "") not in SECURE_PGSSLMODES:
            found.append(
                f"PGSSLMODE={env.get('PGSSLMODE', '')!r}: prod needs one of "
                f"{', '.join(SECURE_PGSSLMODES)} (TLS to Postgres)"
            )

    if env.get("S3_ENDPOINT_URL", "").lower().startswith("http://"):
        found.append(f"S3_ENDPOINT_URL={env['S3_ENDPOINT_URL']} is plain http; prod needs https")

    # botocore reads a set but empty AWS_CA_BUNDLE as "do not verify the certificate".
    if "AWS_CA_BUNDLE" in env and not env["AWS_CA_BUNDLE"]:
        found.append("AWS_CA_BUNDLE is set but empty, which turns off S3 certificate checks; unset it or name a bundle")
    elif env.get("AWS_CA_BUNDLE") and not os.path.isfile(env["AWS_CA_BUNDLE"]):
        found.append(f"AWS_CA_BUNDLE={env['AWS_CA_BUNDLE']} is not a file in this container; mount the CA bundle")

    has_id, has_secret = bool(env.get("AWS_ACCESS_KEY_ID")), bool(env.get("AWS_SECRET_ACCESS_KEY"))
    if has_id != has_secret:
        missing = "AWS_SECRET_ACCESS_KEY" if has_id else "AWS_ACCESS_KEY_ID"
        found.append(
            f"{missing} is missing while the other half of the AWS key pair is set; "
            "set both, or neither for an instance role / IRSA"
        )

    if "GATEWAY_AUTH" in env:
        found += gateway_problems(env)

    for name in sorted(env):
        if TEMPLATE_MARKER in env[name]:
            found.append(f"{name} still holds the local template default; set a real value for prod")
    for name in SECRET_VARS:
        value = env.get(name, "")
        if value and TEMPLATE_MARKER not in value and len(value) < MIN_SECRET_LENGTH:
            found.append(f"{name} is shorter than {MIN_SECRET_LENGTH} characters; use a generated secret in prod")
    return found


def main() -> int:
    """Print each problem of this process's environment to stderr; exit 64 if any."""
    found = problems(os.environ)
    for problem in found:
        print(f"preflight: {problem}", file=sys.stderr)
    return EXIT_UNSAFE if found else 0


if __name__ == "__main__":
    sys.exit(main())
