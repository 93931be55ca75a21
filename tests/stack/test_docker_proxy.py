"""The Docker API is reached only through the policy proxies (deploy/docker-proxy/).

Only the two proxy containers mount the engine's socket, neither is published on the host,
and the launcher's proxy (`docker-proxy`) carries a whole run's life: a launch, the run and a
terminate through GraphQL. Attacks are judged on the engine, through the host's own socket:
a sample of the unit tier's hostile corpus sent raw to the live proxy leaves no container
behind and touches no service container; docker-py calls off the allowlist are refused;
the housekeeping proxy (reachable by run containers) cannot even create a container.
"""

import base64
import json
import re

import pytest
from docker_attacks import ALL_RAW, CID
from docker_requests import IMAGE, NETWORK, RUN_ID, WAREHOUSE_BIND

pytestmark = pytest.mark.stack

SOCKET = "/var/run/docker.sock"
PROXIES = ("docker-proxy", "docker-proxy-housekeeping")
OTHER_SERVICES = ("postgres", "minio", "create-buckets", "migrate", "user-code", "webserver", "daemon")
LAUNCHER_PROXY = "tcp://docker-proxy:2375"
HOUSEKEEPING_PROXY = "tcp://docker-proxy-housekeeping:2375"
# How the proxies refuse: 400 for a call that may not carry the body it sent (decided before
# reading it), 403 off the allowlist, 404 for a container this stack did not create.
REFUSED = (400, 403, 404)
# Containers a probe creates carry this label (removed at the end).
PROBE_LABEL = "io.dagster-platform.test=docker-proxy-probe"

# Runs in a tools container (on the proxies' networks): each docker-py call, with the HTTP
# status the proxy answered (0: the call went through).
PROBE = """
import json, sys
import docker

url, target, image, network = sys.argv[1:5]
api = docker.APIClient(base_url=url, timeout=60)
labels = {"io.dagster-platform.test": "docker-proxy-probe"}
HARDENED = dict(cap_drop=["ALL"], security_opt=["no-new-privileges:true"], read_only=True,
                mem_limit="64m", pids_limit=16, network_mode=network)

def create(**host_config):
    return api.create_container(image, command=["true"], labels=labels,
                                host_config=api.create_host_config(**host_config))

created = {}
def hardened():
    created["id"] = create(**HARDENED)["Id"]

calls = {
    "hardened create": hardened,
    "inspect of what it created": lambda: api.inspect_container(created["id"]),
    "exec": lambda: api.exec_create(target, ["id"]),
    "image pull": lambda: api.pull("busybox", tag="1.37"),
    "plain create": lambda: create(),
    "privileged create": lambda: create(**HARDENED, privileged=True),
    "host bind-mount create": lambda: create(**HARDENED, binds={"/": {"bind": "/host", "mode": "ro"}}),
    "host bind-mount create (mounts)": lambda: create(**HARDENED, mounts=[docker.types.Mount("/host", "/", type="bind")]),
    "host pid namespace create": lambda: create(**HARDENED, pid_mode="host"),
    "capability create": lambda: create(**HARDENED, cap_add=["SYS_ADMIN"]),
    "volumes from a service": lambda: create(**HARDENED, volumes_from=[target]),
    "volume list": lambda: api.volumes(),
    "system info": lambda: api.info(),
    "inspect of a service": lambda: api.inspect_container(target),
    "stop of a service": lambda: api.stop(target, timeout=1),
    "logs of a service": lambda: api.logs(target),
    "kill": lambda: api.kill(target),
    "remove (forced)": lambda: api.remove_container(target, force=True),
    "remove": lambda: api.remove_container(target),
    "connect a service with an alias": lambda: api.connect_container_to_network(target, network, aliases=["postgres"]),
}
result = {"ping": api.ping()}
for name, call in calls.items():
    try:
        call()
        result[name] = 0
    except docker.errors.APIError as exc:
        result[name] = exc.status_code
    except KeyError:
        result[name] = -1
print(json.dumps(result))
"""

# Sends raw requests (base64 lines on stdin) to the proxy; prints each answer's status line.
RAW_SENDER = """
import base64, socket, sys, json
host, port = sys.argv[1], int(sys.argv[2])
out = []
for line in sys.stdin:
    raw = base64.b64decode(line)
    s = socket.create_connection((host, port), timeout=30)
    try:
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    except OSError as exc:
        answer = repr(exc).encode()
    finally:
        s.close()
    out.append(answer.split(b"\\r\\n", 1)[0].decode("latin-1"))
print(json.dumps(out))
"""


def retarget(raw: bytes, names: dict[bytes, bytes]) -> bytes:
    """A corpus request aimed at this stack: its image, network, volume and target container
    instead of the corpus's defaults (else the engine would refuse a dangerous create for a
    missing image, and the test would prove nothing). Content-Length headers move by the
    body's change in length, so a mismatch the corpus made on purpose stays one."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    for old, new in names.items():
        pattern = re.escape(old) + rb"(?![A-Za-z0-9_])"
        head, body_new = re.sub(pattern, new, head), re.sub(pattern, new, body)
        delta, body = len(body_new) - len(body), body_new
        head = re.sub(
            rb"(?i)(content-length: *)(\d+)", lambda m, d=delta: m.group(1) + str(int(m.group(2)) + d).encode(), head
        )
    return head + sep + body


def probe(stack, url: str, target: str) -> dict[str, int]:
    """Run PROBE against the proxy at `url` from a tools container; return each call's status."""
    image = stack.env.get("DAGSTER_IMAGE", "dagster-platform:local")
    network = stack.env["DAGSTER_NETWORK"]
    try:
        out = stack.tool("python", "-c", PROBE, url, target, image, network)
    finally:
        leftovers = stack.docker("ps", "-aq", "--filter", f"label={PROBE_LABEL}").stdout.split()
        if leftovers:
            stack.docker("rm", "-f", *leftovers, check=False)
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def service_inspect(stack) -> dict[str, dict]:
    """`docker inspect` of every service's container."""
    found = {}
    for service in (*PROXIES, *OTHER_SERVICES):
        cid = stack.compose("ps", "-aq", service, timeout=60).stdout.strip()
        assert cid, f"service {service} has no container"
        found[service] = stack.inspect(cid)
    return found


def mounts_socket(info: dict) -> bool:
    """True when the container mounts the Docker socket (any mount targeting it)."""
    return any(m.get("Destination") == SOCKET or m.get("Source", "").endswith("docker.sock") for m in info["Mounts"])


def proxy_log(stack) -> list[dict]:
    """The launcher proxy's decisions (one JSON object per line of its log)."""
    out = stack.compose("logs", "--no-color", "--no-log-prefix", "docker-proxy", timeout=60).stdout
    # Compose may prefix a line with a terminal control sequence: parse from the brace.
    return [json.loads(line[line.index("{") :]) for line in out.splitlines() if "{" in line]


def test_only_the_proxies_mount_the_docker_socket(service_inspect):
    """Daemon, webserver, code server and the rest hold no socket; each proxy does."""
    assert [s for s in OTHER_SERVICES if mounts_socket(service_inspect[s])] == []
    assert all(mounts_socket(service_inspect[p]) for p in PROXIES)


def test_dagster_services_reach_docker_through_the_proxy(service_inspect):
    """Daemon and webserver point docker-py at the launcher's proxy."""
    for service in ("daemon", "webserver"):
        env = dict(e.split("=", 1) for e in service_inspect[service]["Config"]["Env"])
        assert env.get("DOCKER_HOST") == LAUNCHER_PROXY, (service, env.get("DOCKER_HOST"))


@pytest.mark.parametrize("proxy", PROXIES)
def test_proxy_is_not_published_on_the_host(service_inspect, proxy):
    """Nothing outside the compose networks can reach the proxies."""
    host = service_inspect[proxy]["HostConfig"]
    assert not host.get("PortBindings"), host.get("PortBindings")
    assert not service_inspect[proxy]["NetworkSettings"]["Ports"] or all(
        not bindings for bindings in service_inspect[proxy]["NetworkSettings"]["Ports"].values()
    )


def test_launch_run_and_terminate_go_through_the_proxy(stack):
    """A run launched from GraphQL starts in its container and a GraphQL terminate stops it:
    the daemon and webserver have no socket, and the proxy logged each call as allowed. The
    run container carries this stack's label, set by the proxy."""
    run_id = stack.launch("platform_canary_job", config={"ops": {"canary": {"config": {"sleep_seconds": 300}}}})
    # Dagster terminates STARTED runs only (GraphQL refuses one still STARTING).
    cid = stack.started_container(run_id)
    stack.client("terminate", run_id)
    run = stack.wait_run(run_id, timeout=180)
    assert run["status"] == "CANCELED", run
    info = stack.inspect(cid)
    assert info["State"]["Status"] == "exited", info["State"]
    assert info["Config"]["Labels"]["io.dagster-platform.stack"] == stack.env["COMPOSE_PROJECT_NAME"]
    decisions = proxy_log(stack)
    for call, status in (("create", 201), ("start", 204), ("stop", 204)):
        passed = [d for d in decisions if d.get("call") == call and d.get("status") == status]
        if call != "create":
            passed = [d for d in passed if cid in d["path"]]
        assert passed, f"no {call} of {cid} went through docker-proxy: {decisions[-20:]}"


def test_launcher_proxy_refuses_everything_else(stack):
    """Only a create with the run containers' hardening passes (and inspecting what it made);
    exec, pulls, unhardened or privileged or host-path or host-namespace creates, volumes,
    system info and every call on a service container are refused (REFUSED)."""
    result = probe(stack, LAUNCHER_PROXY, stack.container_id("user-code"))
    assert result.pop("ping") is True
    assert result.pop("hardened create") == 0, "the launcher's kind of create must pass"
    assert result.pop("inspect of what it created") == 0
    assert {name: status for name, status in result.items() if status not in REFUSED} == {}


def test_housekeeping_proxy_refuses_all_but_list_and_remove(stack):
    """The proxy run containers can reach cannot create a container, inspect one (which
    would show its environment, secrets included) or remove a service's."""
    result = probe(stack, HOUSEKEEPING_PROXY, stack.container_id("user-code"))
    assert result.pop("ping") is True
    assert result.pop("inspect of what it created") == -1  # nothing was created
    assert {name: status for name, status in result.items() if status not in REFUSED} == {}


def test_hostile_corpus_leaves_nothing_on_the_engine(stack):
    """The unit tier's corpus, sent raw to the live proxy with the calls aimed at the real
    code-server container: afterwards the engine (read through the host's socket) holds no
    new container but this stack's run containers, and the code server was not touched."""
    target = stack.container_id("user-code")
    before = stack.inspect(target)
    existing = set(stack.docker("ps", "-aq", "--no-trunc").stdout.split())
    names = {
        WAREHOUSE_BIND.encode(): f"{stack.env['DAGSTER_WAREHOUSE_VOLUME']}:/var/lib/dagster/warehouse".encode(),
        IMAGE.encode(): stack.env["DAGSTER_IMAGE"].encode(),
        NETWORK.encode(): stack.env["DAGSTER_NETWORK"].encode(),
        CID.encode(): target[:12].encode(),
    }
    lines = "\n".join(base64.b64encode(retarget(raw, names)).decode() for raw in ALL_RAW)
    answers = json.loads(stack.tool("python", "-c", RAW_SENDER, "docker-proxy", "2375", stdin=lines + "\n"))
    assert len(answers) == len(ALL_RAW)
    # A refusal is a 4xx/5xx answer, or a reset (an oversized body the proxy stopped reading).
    forwarded = [a for a in answers if a.startswith("HTTP/") and not a.startswith(("HTTP/1.1 4", "HTTP/1.1 5"))]
    new = set(stack.docker("ps", "-aq", "--no-trunc").stdout.split()) - existing
    foreign = []
    for cid in new:
        info = stack.inspect(cid)
        # Runs of this stack may start meanwhile (schedules, sensors); the corpus's bodies carry
        # their own run id, RUN_ID, so whatever has it (or no run id at all) came from the corpus.
        if (info["Config"]["Labels"] or {}).get("dagster/run_id") in (None, RUN_ID):
            foreign.append((cid[:12], info["Config"]["Image"], info["HostConfig"].get("Binds")))
    if foreign:
        stack.docker("rm", "-f", *[c for c, _, _ in foreign], check=False)
    assert foreign == [], f"the corpus made containers exist: {foreign}"
    assert forwarded == [], forwarded
    after = stack.inspect(target)
    assert after["State"]["StartedAt"] == before["State"]["StartedAt"] and after["State"]["Running"]
    assert after["Name"] == before["Name"]
    assert after["NetworkSettings"]["Networks"].keys() == before["NetworkSettings"]["Networks"].keys()


@pytest.mark.parametrize("proxy", PROXIES)
def test_proxy_threads_are_bounded(stack, proxy):
    """One asyncio thread and at most one helper, whatever the host's CPU count: far under
    the pids limit (a proxy with a thread per CPU never starts on a big host)."""
    cid = stack.container_id(proxy)
    status = stack.docker("exec", cid, "cat", "/proc/1/status").stdout
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
    assert 1 <= threads <= 2, status
    assert threads * 4 <= stack.inspect(cid)["HostConfig"]["PidsLimit"]
