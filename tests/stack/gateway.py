"""Talk to the stack through its gateway (deploy/gateway/Caddyfile) as a browser's user would:
the editors' and viewers' sites, the template's local users, and GraphQL over HTTP.

Shared by the gateway's wire tests and the browser tests, so both sign in the same way.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
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
# An origin no site of the platform has.
FOREIGN_ORIGIN = "https://evil.example"
# A sensor of the example location the tests switch (and switch back); on from the first start.
SWITCHED_SENSOR = "landing_zone_sensor"
# What a mutation answers when refused by the server, or what else it answered.
MUTATION_OUTCOME = "__typename ... on UnauthorizedError { message } ... on PythonError { message }"


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
    def origin(site: str) -> str:
        """The Origin a browser sends from `site`'s pages: scheme://host:port, no path."""
        url = urllib.parse.urlsplit(site)
        return f"{url.scheme}://{url.netloc}"

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


def flip(paused: bool) -> str:
    """The mutation that would switch automation to the other state."""
    return SET_AUTOMATION_PAUSED % json.dumps(not paused)


@contextlib.contextmanager
def restored_automation(gateway: Gateway) -> Iterator[bool]:
    """Yields the automation switch's value; restores it afterwards (through the editors'
    site, the legitimate way) whatever the block did to it."""
    before = gateway.automation_paused()
    try:
        yield before
    finally:
        if gateway.automation_paused() != before:
            gateway.data(gateway.editor_url, SET_AUTOMATION_PAUSED % json.dumps(before), auth=EDITOR)


def _send_get(url: str, query: str) -> requests.Response:
    return requests.get(f"{url}/graphql", params={"query": query}, auth=EDITOR, timeout=REQUEST_TIMEOUT)


def _send_form(url: str, query: str) -> requests.Response:
    return requests.post(f"{url}/graphql", data={"query": query}, auth=EDITOR, timeout=REQUEST_TIMEOUT)


def _send_query_in_url(url: str, query: str) -> requests.Response:
    return requests.post(f"{url}/graphql", params={"query": query}, auth=EDITOR, timeout=REQUEST_TIMEOUT)


def _send_text_plain(url: str, query: str) -> requests.Response:
    body = json.dumps({"query": query})
    headers = {"Content-Type": "text/plain"}
    return requests.post(f"{url}/graphql", data=body, headers=headers, auth=EDITOR, timeout=REQUEST_TIMEOUT)


# The requests any web page can make a signed-in browser send to `url` (a site, with its path
# prefix) without a CORS preflight, each with an editor's credentials (the browser adds them).
CROSS_SITE_REQUESTS: dict[str, Callable[[str, str], requests.Response]] = {
    "get": _send_get,
    "form-post": _send_form,
    "query-in-url-post": _send_query_in_url,
    "text-plain-post": _send_text_plain,
}


def assert_cross_site_requests_change_nothing(
    gateway: Gateway, send: Callable[[str, str], requests.Response], paused: bool
) -> None:
    """`send` (one of CROSS_SITE_REQUESTS) of a mutation of the automation switch and of a
    launch to the editors' site is refused (415); the switch is still `paused`, no run launched."""
    tag = uuid.uuid4().hex
    for query in (flip(paused), launch_mutation(gateway, tag)):
        response = send(gateway.editor_url, query)
        assert response.status_code == 415, (response.status_code, response.text[:300])
    assert gateway.automation_paused() == paused
    assert runs_tagged(gateway, tag) == []


def raw_get(site: str, target: str, auth: tuple[str, str]) -> tuple[int, str]:
    """GET `target` (a path and query, sent byte for byte: no client normalizes dots, slashes
    or percent-escapes) from `site`'s host; (status, body)."""
    url = urllib.parse.urlsplit(site)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=REQUEST_TIMEOUT)
    token = base64.b64encode(":".join(auth).encode()).decode()
    try:
        connection.request("GET", target, headers={"Authorization": f"Basic {token}"})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def assert_no_spelling_changes_automation(gateway: Gateway, paths: list[str], paused: bool) -> None:
    """A GET mutation of the automation switch sent to each of `paths` (spellings of a GraphQL
    endpoint: doubled slashes, dot segments, case, percent-escapes) with an editor's
    credentials executes nowhere: no GraphQL answer, and the switch is still `paused`."""
    query = urllib.parse.urlencode({"query": flip(paused)})
    for path in paths:
        status, body = raw_get(gateway.editor_url, f"{path}?{query}", EDITOR)
        try:
            parsed = json.loads(body)
            answered = isinstance(parsed, dict) and "data" in parsed
        except ValueError:  # the gateway's refusal, a 404 or the UI's page: no GraphQL answer
            answered = False
        assert not answered, (path, status, body[:300])
        assert gateway.automation_paused() == paused, f"{path} switched automation ({status})"


def websocket_upgrade(site: str, origin: str, auth: tuple[str, str]) -> int:
    """Status of a GraphQL websocket handshake from a page of `origin` (101: opened)."""
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Origin": origin,
    }
    with requests.get(f"{site}/graphql", headers=headers, auth=auth, timeout=REQUEST_TIMEOUT, stream=True) as response:
        return response.status_code


def sensor(gateway: Gateway, name: str = SWITCHED_SENSOR) -> dict:
    """The sensor `name`: its selector (for startSensor), its state's id (for stopSensor) and
    status (RUNNING or STOPPED), read through the editors' site."""
    repos = gateway.data(
        gateway.editor_url,
        "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } "
        "sensors { name sensorState { id status } } } } } }",
        auth=EDITOR,
    )["repositoriesOrError"]["nodes"]
    [(repo, found)] = [(r, s) for r in repos for s in r["sensors"] if s["name"] == name]
    selector = {"repositoryLocationName": repo["location"]["name"], "repositoryName": repo["name"], "sensorName": name}
    return {"selector": selector, "id": found["sensorState"]["id"], "status": found["sensorState"]["status"]}


def switch_sensor(gateway: Gateway, site: str, auth: tuple[str, str], state: dict, *, on: bool) -> dict:
    """Send startSensor (`on`) or stopSensor for the sensor `state` (from `sensor`) to `site`
    as a JSON POST; the mutation's outcome."""
    if on:
        mutation = (
            f"mutation {{ startSensor(sensorSelector: {graphql_literal(state['selector'])}) {{ {MUTATION_OUTCOME} }} }}"
        )
        field = "startSensor"
    else:
        mutation = f"mutation {{ stopSensor(id: {json.dumps(state['id'])}) {{ {MUTATION_OUTCOME} }} }}"
        field = "stopSensor"
    return gateway.data(site, mutation, auth=auth)[field]


def reexecution_mutation(parent_run_id: str) -> str:
    """A launchPipelineReexecution of every step of `parent_run_id`."""
    params = f"{{parentRunId: {json.dumps(parent_run_id)}, strategy: ALL_STEPS}}"
    return f"mutation {{ launchPipelineReexecution(reexecutionParams: {params}) {{ {MUTATION_OUTCOME} }} }}"


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


def runs_tagged(gateway: Gateway, tag: str, key: str = "gateway-test") -> list[str]:
    """Ids of the runs tagged `key`=`tag` (by default the tests' own gateway-test tag)."""
    query = "{ runsOrError(filter: {tags: [{key: %s, value: %s}]}) { ... on Runs { results { runId } } } }"
    data = gateway.data(gateway.editor_url, query % (json.dumps(key), json.dumps(tag)), auth=EDITOR)
    return [r["runId"] for r in data["runsOrError"]["results"]]


@contextlib.contextmanager
def extra_gateway(
    stack, env: dict[str, str], ports: tuple[int, ...] = (8080, 8081), network: str | None = None
) -> Iterator[dict]:
    """A second, real gateway from the stack's image and Caddyfile, configured by `env`, on
    `network` (default: the stack's) and hardened like the service. Yields its container name
    and the host address ("127.0.0.1:PORT") of each container port; removed afterwards."""
    name = f"gateway-test-caddy-{uuid.uuid4().hex[:8]}"
    settings = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    published = [arg for port in ports for arg in ("-p", f"127.0.0.1::{port}")]
    try:
        stack.docker(
            "run", "-d", "--name", name, "--network", network or stack.env["DAGSTER_NETWORK"],
            "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "--security-opt", "no-new-privileges:true",
            "--read-only", "--tmpfs", "/config", "--tmpfs", "/data", *settings, *published,
            "-v", f"{ROOT / 'deploy/gateway/Caddyfile'}:/etc/caddy/Caddyfile:ro",
            stack.env.get("CADDY_IMAGE", "caddy:2.11.7"),
        )  # fmt: skip
        addresses = {port: stack.docker("port", name, f"{port}/tcp").stdout.split()[0] for port in ports}
        yield {"name": name, **addresses}
    finally:
        stack.docker("rm", "-f", name, check=False)
