"""Docker API requests for the policy tests: the launcher's own, built offline with docker-py
exactly as DockerRunLauncher builds it from dagster.yaml, and a Go-style reading of what the
policy forwards, to judge the body the engine would act on (not the proxy's status code)."""

import json
from pathlib import Path

import docker
import yaml
from docker.models.containers import _create_container_args

from docker_policy.gojson import Refused
from docker_policy.http1 import BadRequest, parse_request
from docker_policy.routes import plan
from docker_policy.settings import STACK_LABEL, Settings

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "dagster-platform:local"
# The example team location's image (docker-compose.yml DAGSTER_APP_IMAGE default).
APP_IMAGE = "dagster-platform-app:local"
NETWORK = "dagster_platform"
WAREHOUSE_BIND = "dagster_platform_warehouse:/var/lib/dagster/warehouse"
API = "/v1.41"
LAUNCHER = Settings(
    role="launcher",
    stack="dagster-platform",
    images=frozenset({IMAGE}),
    networks=frozenset({NETWORK}),
    binds=frozenset({WAREHOUSE_BIND}),
)
HOUSEKEEPING = Settings(role="housekeeping", stack="dagster-platform", networks=frozenset({NETWORK}))
RESOLVED_ID = "f" * 64
# The run id in the launcher's body of the corpus: containers carrying it came from the corpus.
RUN_ID = "corpus-run-1"


def launcher_create_body() -> dict:
    """The create body DockerRunLauncher sends for a run: docker-py's `containers.create` with
    dagster.yaml's container_kwargs and the code location's warehouse volume."""
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())["run_launcher"]["config"]
    kwargs = dict(config["container_kwargs"])
    labels = {**kwargs.pop("labels"), "dagster/run_id": RUN_ID, "dagster/job_name": "platform_canary_job"}
    kwargs.pop("stop_timeout")  # the launcher passes it to stop, not to create
    kwargs["volumes"] = [WAREHOUSE_BIND]
    create_kwargs = _create_container_args(
        dict(
            image=IMAGE,
            command=["dagster", "api", "execute_run", '{"__class__": "ExecuteRunArgs"}'],
            detach=True,
            environment={"PLATFORM_ENV": "ci", "DAGSTER_RUN_JOB_NAME": "j"},
            network=NETWORK,
            labels=labels,
            version="1.41",
            **kwargs,
        )
    )
    api = docker.APIClient(base_url="tcp://127.0.0.1:9", version="1.41")
    body = api.create_container_config(**{k: v for k, v in create_kwargs.items() if k not in ("name", "platform")})
    return {k: v for k, v in body.items() if v is not None}


def http(method: str, path: str, body: bytes = b"", headers: tuple[str, ...] = ()) -> bytes:
    """A well-formed HTTP/1.1 request (Content-Length when there is a body)."""
    head = [f"{method} {path} HTTP/1.1", "Host: docker", *headers]
    if body or method == "POST":
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def create(body: bytes | dict | list | str) -> bytes:
    """A container-create request carrying `body` (a dict or list is JSON-encoded, a str UTF-8)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    return http("POST", f"{API}/containers/create", body)


def forwarded(raw: bytes, settings: Settings = LAUNCHER) -> bytes | None:
    """What the policy would send the engine for `raw` (ids resolved to RESOLVED_ID), or None."""
    try:
        call = plan(parse_request(raw), settings)
    except (Refused, BadRequest):
        return None
    return call.render(RESOLVED_ID if call.container else None, RESOLVED_ID if call.network else None)


def go_read(data: bytes):
    """Decode JSON as Go's encoding/json would into a struct: field names compared with Unicode
    case folding (Python's casefold, independent of the policy's own fold), last key wins."""

    def pairs(items):
        out: dict = {}
        for key, value in items:
            out[key.casefold()] = value
        return out

    return json.loads(data, object_pairs_hook=pairs)


DENIED_HOST = {
    "privileged": lambda v: v not in (None, False),
    "mounts": bool,
    "volumesfrom": bool,
    "devices": bool,
    "devicecgrouprules": bool,
    "devicerequests": bool,
    "capadd": bool,
    "pidmode": bool,
    "ipcmode": bool,
    "utsmode": bool,
    "usernsmode": bool,
    "cgroupnsmode": bool,
    "portbindings": bool,
    "publishallports": bool,
    "sysctls": bool,
    "cgroupparent": bool,
    "runtime": bool,
    "maskedpaths": lambda v: v is not None,
    "readonlypaths": lambda v: v is not None,
    "oomscoreadj": bool,
    "oomkilldisable": bool,
    "links": bool,
    "volumedriver": bool,
    "isolation": bool,
    "cgroup": bool,
}


def denied_settings(request: bytes) -> list[str]:
    """Every reason the engine, reading this forwarded request, would make a container that the
    policy promises never to make (empty: acceptable). Non-create calls: no body may pass but
    a network connect's, with no aliases."""
    head, _, body = request.partition(b"\r\n\r\n")
    line = head.split(b"\r\n")[0].decode()
    if "/containers/create" not in line:
        if "/connect" in line:
            doc = go_read(body)
            return [] if not (doc.get("endpointconfig") or {}) else ["endpoint settings on connect"]
        return ["a body on " + line] if body else []
    doc = go_read(body)
    host = doc.get("hostconfig") or {}
    problems = [f"HostConfig.{name}" for name, bad in DENIED_HOST.items() if bad(host.get(name))]
    for spec in host.get("binds") or []:
        if spec != WAREHOUSE_BIND:
            problems.append(f"bind {spec!r}")
    if host.get("networkmode") != NETWORK:
        problems.append(f"NetworkMode {host.get('networkmode')!r}")
    if [c.upper() for c in host.get("capdrop") or []] != ["ALL"]:
        problems.append("CapDrop is not [ALL]")
    if host.get("securityopt") != ["no-new-privileges:true"]:
        problems.append(f"SecurityOpt {host.get('securityopt')!r}")
    if host.get("readonlyrootfs") is not True:
        problems.append("root filesystem writable")
    if not (isinstance(host.get("memory"), int) and host["memory"] > 0):
        problems.append("no memory limit")
    if not (isinstance(host.get("pidslimit"), int) and host["pidslimit"] > 0):
        problems.append("no pids limit")
    if doc.get("image") != IMAGE:
        problems.append(f"image {doc.get('image')!r}")
    if (doc.get("labels") or {}).get(
        STACK_LABEL.casefold(), (doc.get("labels") or {}).get(STACK_LABEL)
    ) != "dagster-platform":
        problems.append("no stack label")
    endpoints = ((doc.get("networkingconfig") or {}).get("endpointsconfig")) or {}
    if any(endpoints.get(k) for k in endpoints) or set(endpoints) - {NETWORK}:
        problems.append(f"endpoints {endpoints!r}")
    if doc.get("user"):
        problems.append("user override")
    return problems
