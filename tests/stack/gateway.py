"""Talk to the stack through its gateway (deploy/gateway/Caddyfile) as a browser's user would:
the editors' and viewers' sites, the template's local users, and GraphQL over HTTP.

Shared by the gateway's wire tests and the browser tests, so both sign in the same way.
"""

from __future__ import annotations

import contextlib
import json
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]

REQUEST_TIMEOUT = 60
# The local-only users of .env.example (their passwords are printed there, next to the hashes).
EDITOR = ("editor", "local-only-editor-password")
VIEWER = ("viewer", "local-only-viewer-password")

# A job whose launch the tests send (and check for) through the gateway.
LAUNCH_JOB = "ingest_orders_job"
AUTOMATION_PAUSED = "{ instance { autoMaterializePaused } }"
SET_AUTOMATION_PAUSED = "mutation { setAutoMaterializePaused(paused: %s) }"


@dataclass(frozen=True)
class Gateway:
    """The gateway's sites on this host, from the compose env."""

    editor_url: str
    viewer_url: str

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Gateway:
        """The sites as the compose env publishes them (GATEWAY_BIND, _HTTP_PORT, _VIEWER_PORT)."""
        bind = env.get("GATEWAY_BIND", "127.0.0.1")
        host = "127.0.0.1" if bind in ("", "0.0.0.0") else bind
        return cls(
            editor_url=f"http://{host}:{env.get('GATEWAY_HTTP_PORT', '8080')}",
            viewer_url=f"http://{host}:{env.get('GATEWAY_VIEWER_PORT', '8081')}",
        )

    @staticmethod
    def signed_in(site: str, auth: tuple[str, str]) -> str:
        """`site`'s URL with `auth` in it, for scripts/platform_client.py's --webserver."""
        scheme, _, rest = site.partition("://")
        user, password = (urllib.parse.quote(part, safe="") for part in auth)
        return f"{scheme}://{user}:{password}@{rest}"

    @staticmethod
    def graphql(
        site: str, query: str, *, auth: tuple[str, str] | None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        """POST `query` as JSON to a site's /graphql, as the UI does."""
        return requests.post(
            f"{site}/graphql", json={"query": query}, auth=auth, headers=headers or {}, timeout=REQUEST_TIMEOUT
        )

    def data(self, site: str, query: str, *, auth: tuple[str, str]) -> dict:
        """The `data` of a GraphQL request that must succeed."""
        response = self.graphql(site, query, auth=auth)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    def automation_paused(self) -> bool:
        """The instance's automation switch, read through the editors' site."""
        return self.data(self.editor_url, AUTOMATION_PAUSED, auth=EDITOR)["instance"]["autoMaterializePaused"]


def launch_mutation(gateway: Gateway, tag: str) -> str:
    """A launchPipelineExecution of LAUNCH_JOB carrying the tag gateway-test=`tag`."""
    repos = gateway.data(
        gateway.editor_url,
        "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } jobs { name } } } } }",
        auth=EDITOR,
    )["repositoriesOrError"]["nodes"]
    # The repository (of whichever code location) that has the job.
    [repo] = [r for r in repos if LAUNCH_JOB in {job["name"] for job in r["jobs"]}]
    selector = {
        "repositoryLocationName": repo["location"]["name"],
        "repositoryName": repo["name"],
        "jobName": LAUNCH_JOB,
    }
    params = {
        "selector": selector,
        "runConfigData": "{}",
        "executionMetadata": {"tags": [{"key": "gateway-test", "value": tag}]},
    }
    # Inline (no variables): a GET or a form body can carry only the query text.
    return (
        f"mutation {{ launchPipelineExecution(executionParams: {graphql_literal(params)}) {{ __typename "
        "... on LaunchRunSuccess { run { runId } } ... on UnauthorizedError { message } "
        "... on PythonError { message } } }"
    )


def graphql_literal(value) -> str:
    """`value` as a GraphQL input literal (JSON with bare keys)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {graphql_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(graphql_literal(v) for v in value) + "]"
    return json.dumps(value)


def runs_tagged(gateway: Gateway, tag: str) -> list[str]:
    """Ids of the runs tagged gateway-test=`tag`."""
    query = (
        '{ runsOrError(filter: {tags: [{key: "gateway-test", value: "%s"}]}) { ... on Runs { results { runId } } } }'
    )
    data = gateway.data(gateway.editor_url, query % tag, auth=EDITOR)
    return [r["runId"] for r in data["runsOrError"]["results"]]


@contextlib.contextmanager
def extra_gateway(stack, env: dict[str, str], ports: tuple[int, ...] = (8080, 8081)) -> Iterator[dict]:
    """A second, real gateway from the stack's image and Caddyfile, configured by `env`, on the
    stack's network and hardened like the service. Yields its container name and the host
    address ("127.0.0.1:PORT") of each container port; removed afterwards."""
    name = f"gateway-test-caddy-{uuid.uuid4().hex[:8]}"
    settings = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    published = [arg for port in ports for arg in ("-p", f"127.0.0.1::{port}")]
    try:
        stack.docker(
            "run", "-d", "--name", name, "--network", stack.env["DAGSTER_NETWORK"],
            "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "--security-opt", "no-new-privileges:true",
            "--read-only", "--tmpfs", "/config", "--tmpfs", "/data", *settings, *published,
            "-v", f"{ROOT / 'deploy/gateway/Caddyfile'}:/etc/caddy/Caddyfile:ro",
            stack.env.get("CADDY_IMAGE", "caddy:2.11.7"),
        )  # fmt: skip
        addresses = {port: stack.docker("port", name, f"{port}/tcp").stdout.split()[0] for port in ports}
        yield {"name": name, **addresses}
    finally:
        stack.docker("rm", "-f", name, check=False)
