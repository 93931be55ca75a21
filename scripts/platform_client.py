"""Talk to a running platform through the webserver's GraphQL API.

Runs inside the compose network (`docker compose run --rm tools python scripts/platform_client.py ...`),
where it talks to the webserver directly. From the host, go through the gateway as an editor:
`DAGSTER_UI_USER=editor DAGSTER_UI_PASSWORD=... python scripts/platform_client.py --webserver
http://127.0.0.1:8080 runs` (the password from the environment, never on the command line).
Every command prints one JSON document on stdout (``run_command`` returns it, for callers in
Python).
Only public interfaces: ``DagsterGraphQLClient`` for launching, status and reloads, and a
plain POST to the webserver's ``/graphql`` endpoint for read-only queries the client lacks.
Every request is bounded (REQUEST_TIMEOUT): a hung webserver fails the call, not the caller.
``TERMINAL`` and ``wait_for_runs`` are the one definition of "finished" and the one polling
loop, shared by the benchmark and the tests.

    launch JOB [--config JSON] [--tag KEY=VALUE ...]   launch a job (in the location that has it,
                       [--location NAME]               or NAME), print {"run_id": ...}
    wait RUN_ID [--timeout S]                          wait for a terminal status
    run RUN_ID                                         status, tags and step stats of a run
    runs [--job JOB] [--tag KEY=VALUE] [--limit N]     recent runs (newest first)
    materializations ASSET_KEY [--limit N]             recent materializations of an asset
    check-executions ASSET_KEY CHECK_NAME [--limit N]  recent executions of an asset check
    reload [LOCATION]                                  reload a code location (the UI's "Reload")
    locations                                          every code location: loaded, or its load error
    version                                            the webserver's Dagster version
    terminate RUN_ID                                   terminate a run (the UI's "Terminate")
    asset-keys                                         every asset key the webserver knows
"""

import argparse
import json
import os
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import requests
import requests.auth
from dagster_graphql import DagsterGraphQLClient

# Run statuses after which nothing changes any more.
TERMINAL = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
REQUEST_TIMEOUT = 60  # seconds, per GraphQL request

RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run {
      runId status jobName
      tags { key value }
      stepStats { stepKey status }
      assetMaterializations { assetKey { path } partition }
    }
    ... on PythonError { message }
  }
}
"""

RUN_TIMES_QUERY = """
query RunTimes($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { runId status startTime endTime } }
}
"""

RUNS_QUERY = """
query Runs($filter: RunsFilter, $limit: Int) {
  runsOrError(filter: $filter, limit: $limit) {
    ... on Runs { results { runId status jobName startTime endTime tags { key value } } }
  }
}
"""

MATERIALIZATIONS_QUERY = """
query Mats($assetKey: AssetKeyInput!, $limit: Int) {
  assetOrError(assetKey: $assetKey) {
    ... on Asset {
      assetMaterializations(limit: $limit) { runId partition timestamp }
    }
  }
}
"""

ASSET_KEYS_QUERY = """
query AssetKeys { assetNodes { assetKey { path } } }
"""

CHECK_QUERY = """
query Checks($assetKey: AssetKeyInput!, $checkName: String!, $limit: Int!) {
  assetCheckExecutions(assetKey: $assetKey, checkName: $checkName, limit: $limit) {
    runId status
    evaluation { success severity }
  }
}
"""


@dataclass(frozen=True)
class Webserver:
    """Where the GraphQL endpoint is, and how to sign in there (the gateway's basic auth)."""

    host: str
    port: int
    https: bool = False
    path_prefix: str = ""
    auth: tuple[str, str] | None = None

    @property
    def graphql_url(self) -> str:
        """The endpoint's URL."""
        return f"{'https' if self.https else 'http'}://{self.host}:{self.port}{self.path_prefix}/graphql"


def webserver(address: str | None = None) -> Webserver:
    """The webserver at `address` ("HOST:PORT" or a URL such as "https://dagster.example.com/prefix"),
    else the one DAGSTER_WEBSERVER_HOST / DAGSTER_WEBSERVER_INTERNAL_PORT name (compose defaults),
    under DAGSTER_WEBSERVER_PATH_PREFIX (as the webservers serve it). DAGSTER_UI_USER and DAGSTER_UI_PASSWORD, when set, sign in at the gateway (a URL's own
    user:password wins: for callers in Python; on a command line it would show in `ps`)."""
    user, password = os.environ.get("DAGSTER_UI_USER"), os.environ.get("DAGSTER_UI_PASSWORD")
    auth = (user, password) if user and password is not None else None
    if not address:
        host = os.environ.get("DAGSTER_WEBSERVER_HOST", "webserver")
        internal_port = int(os.environ.get("DAGSTER_WEBSERVER_INTERNAL_PORT", "3000"))
        prefix = os.environ.get("DAGSTER_WEBSERVER_PATH_PREFIX", "").rstrip("/")
        return Webserver(host, internal_port, path_prefix=prefix, auth=auth)
    if "://" not in address:
        host, _, port = address.rpartition(":")
        return Webserver(host, int(port), auth=auth)
    url = urllib.parse.urlsplit(address)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"--webserver {address!r}: expected HOST:PORT or an http(s) URL")
    if url.username is not None:
        auth = (urllib.parse.unquote(url.username), urllib.parse.unquote(url.password or ""))
    https = url.scheme == "https"
    return Webserver(url.hostname, url.port or (443 if https else 80), https, url.path.rstrip("/"), auth)


def client(address: str | None = None) -> DagsterGraphQLClient:
    """A GraphQL client for the webserver at `address` (see `webserver`)."""
    where = webserver(address)
    return DagsterGraphQLClient(
        where.host,
        port_number=where.port,
        use_https=where.https,
        path_prefix=where.path_prefix,
        auth=requests.auth.HTTPBasicAuth(*where.auth) if where.auth else None,
        timeout=REQUEST_TIMEOUT,
    )


def query(gql: str, variables: dict, address: str | None = None) -> dict:
    """Execute a read-only GraphQL query; return its `data`.

    Raises:
        requests.HTTPError: when the webserver answers with an HTTP error status.
        RuntimeError: with the server's messages, when the response carries GraphQL errors.
    """
    where = webserver(address)
    response = requests.post(
        where.graphql_url,
        json={"query": gql, "variables": variables},
        auth=where.auth,
        timeout=REQUEST_TIMEOUT,
    )
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {[e.get('message') for e in body['errors']]}")
    return body["data"]


def wait_for_runs(
    run_ids: list[str],
    timeout: float,
    interval: float = 1,
    on_poll: Callable[[], None] | None = None,
    address: str | None = None,
) -> dict[str, tuple[str, float]]:
    """Poll runs until each reaches a TERMINAL status or `timeout` passes.

    `on_poll`, if given, is called before every poll (e.g. to sample the run container).
    Returns run id -> (status, time.time() when it was seen terminal), for the finished runs only.
    """
    gql = client(address)
    finished: dict[str, tuple[str, float]] = {}
    deadline = time.monotonic() + timeout
    while True:
        if on_poll:
            on_poll()
        for run_id in set(run_ids) - finished.keys():
            status = gql.get_run_status(run_id).value
            if status in TERMINAL:
                finished[run_id] = (status, time.time())
        if len(finished) == len(set(run_ids)) or time.monotonic() >= deadline:
            return finished
        time.sleep(interval)


def wait_for_run(
    run_id: str,
    timeout: float,
    interval: float = 2,
    on_poll: Callable[[], None] | None = None,
    address: str | None = None,
) -> str | None:
    """Poll one run until it reaches a terminal status; return it, or its last status at `timeout`."""
    finished = wait_for_runs([run_id], timeout, interval, on_poll, address)
    return finished[run_id][0] if run_id in finished else client(address).get_run_status(run_id).value


LOCATIONS_QUERY = """
query Locations {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
    ... on PythonError { message }
  }
}
"""


def locations(address: str | None = None) -> list[dict]:
    """Every code location of the workspace: its name, whether it loaded, and its load error."""
    workspace = query(LOCATIONS_QUERY, {}, address)["workspaceOrError"]
    if workspace["__typename"] != "Workspace":
        raise RuntimeError(f"workspace: {workspace.get('message')}")
    return [
        {
            "name": entry["name"],
            "loaded": (entry["locationOrLoadError"] or {}).get("__typename") == "RepositoryLocation",
            "error": (entry["locationOrLoadError"] or {}).get("message"),
        }
        for entry in workspace["locationEntries"]
    ]


def asset_key(text: str) -> dict:
    """`a/b` -> {"path": ["a", "b"]}."""
    return {"path": text.split("/")}


def run_command(argv: list[str]) -> object:
    """Parse arguments, run one command, return its result (what `main` prints as JSON)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webserver", metavar="HOST:PORT|URL", help="default: DAGSTER_WEBSERVER_HOST:_INTERNAL_PORT")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("launch")
    p.add_argument("job")
    p.add_argument("--config", default="{}")
    p.add_argument("--tag", action="append", default=[])
    # Default: the one location whose repository has the job (the GraphQL client looks it up).
    p.add_argument("--location", default=None)
    p = sub.add_parser("wait")
    p.add_argument("run_id")
    p.add_argument("--timeout", type=float, default=300)
    p = sub.add_parser("run")
    p.add_argument("run_id")
    p = sub.add_parser("runs")
    p.add_argument("--job")
    p.add_argument("--tag", action="append", default=[])
    p.add_argument("--limit", type=int, default=20)
    p = sub.add_parser("materializations")
    p.add_argument("asset_key")
    p.add_argument("--limit", type=int, default=20)
    p = sub.add_parser("check-executions")
    p.add_argument("asset_key")
    p.add_argument("check_name")
    p.add_argument("--limit", type=int, default=20)
    sub.add_parser("locations")
    sub.add_parser("version")
    p = sub.add_parser("reload")
    p.add_argument("location", nargs="?", default="app")
    sub.add_parser("asset-keys")
    p = sub.add_parser("terminate")
    p.add_argument("run_id")
    args = parser.parse_args(argv)
    address = args.webserver

    if args.command == "launch":
        tags = dict(t.split("=", 1) for t in args.tag)
        run_id = client(address).submit_job_execution(
            args.job, repository_location_name=args.location, run_config=json.loads(args.config), tags=tags
        )
        result: object = {"run_id": run_id}
    elif args.command == "wait":
        status = wait_for_run(args.run_id, args.timeout, address=address)
        result = {"run_id": args.run_id, "status": status, "terminal": status in TERMINAL}
    elif args.command == "locations":
        result = locations(address)
    elif args.command == "version":
        result = {"version": query("query Version { version }", {}, address)["version"]}
    elif args.command == "run":
        result = query(RUN_QUERY, {"runId": args.run_id}, address)["runOrError"]
    elif args.command == "runs":
        run_filter: dict = {"pipelineName": args.job} if args.job else {}
        if args.tag:
            run_filter["tags"] = [dict(zip(("key", "value"), t.split("=", 1), strict=False)) for t in args.tag]
        result = query(RUNS_QUERY, {"filter": run_filter, "limit": args.limit}, address)["runsOrError"]["results"]
    elif args.command == "materializations":
        asset = query(MATERIALIZATIONS_QUERY, {"assetKey": asset_key(args.asset_key), "limit": args.limit}, address)
        result = (asset.get("assetOrError") or {}).get("assetMaterializations", [])
    elif args.command == "reload":
        info = client(address).reload_repository_location(args.location)
        result = {"location": args.location, "status": info.status.value, "message": info.message}
    elif args.command == "terminate":
        client(address).terminate_run(args.run_id)
        result = {"run_id": args.run_id, "terminating": True}
    elif args.command == "asset-keys":
        result = sorted("/".join(n["assetKey"]["path"]) for n in query(ASSET_KEYS_QUERY, {}, address)["assetNodes"])
    else:
        result = query(
            CHECK_QUERY,
            {"assetKey": asset_key(args.asset_key), "checkName": args.check_name, "limit": args.limit},
            address,
        )["assetCheckExecutions"]
    return result


def main(argv: list[str]) -> int:
    """Run one command and print its result as one JSON document."""
    json.dump(run_command(argv), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
