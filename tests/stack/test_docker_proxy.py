"""The Docker API is reached only through the allowlisting proxies (deploy/docker-proxy/).

Only the two proxy containers mount the engine's socket, neither is published on the host,
and the launcher's proxy (`docker-proxy`) carries a whole run's life: a launch, the run and a
terminate through GraphQL. Through it, exec, an image pull, a privileged container and a
host bind mount are refused with 403; the housekeeping proxy (reachable by run containers)
refuses even a plain container create.
"""

import json

import pytest

pytestmark = pytest.mark.stack

SOCKET = "/var/run/docker.sock"
PROXIES = ("docker-proxy", "docker-proxy-housekeeping")
OTHER_SERVICES = ("postgres", "minio", "create-buckets", "user-code", "webserver", "daemon")
LAUNCHER_PROXY = "tcp://docker-proxy:2375"
HOUSEKEEPING_PROXY = "tcp://docker-proxy-housekeeping:2375"
# Containers a wrongly allowed create would leave behind carry this label (removed at the end).
PROBE_LABEL = "io.dagster-platform.test=docker-proxy-probe"

# Runs in a tools container (on the proxies' networks): each Docker API call the proxy must
# refuse, with the HTTP status it answered (0: the call went through).
PROBE = """
import json, sys
import docker

url, target, image = sys.argv[1:4]
api = docker.APIClient(base_url=url, timeout=60)
labels = {"io.dagster-platform.test": "docker-proxy-probe"}

def create(**host_config):
    return api.create_container(image, command=["true"], labels=labels,
                                host_config=api.create_host_config(**host_config))

calls = {
    "exec": lambda: api.exec_create(target, ["id"]),
    "image pull": lambda: api.pull("busybox", tag="1.37"),
    "privileged create": lambda: create(privileged=True),
    "host bind-mount create": lambda: create(binds={"/": {"bind": "/host", "mode": "ro"}}),
    "host bind-mount create (mounts)": lambda: create(mounts=[docker.types.Mount("/host", "/", type="bind")]),
    "host pid namespace create": lambda: create(pid_mode="host"),
    "capability create": lambda: create(cap_add=["SYS_ADMIN"]),
    "plain create": lambda: create(),
    "volume list": lambda: api.volumes(),
    "system info": lambda: api.info(),
    "inspect": lambda: api.inspect_container(target),
    "kill": lambda: api.kill(target),
    "remove (forced)": lambda: api.remove_container(target, force=True),
}
result = {"ping": api.ping()}
for name, call in calls.items():
    try:
        call()
        result[name] = 0
    except docker.errors.APIError as exc:
        result[name] = exc.status_code
print(json.dumps(result))
"""


def probe(stack, url: str, target: str) -> dict[str, int]:
    """Run PROBE against the proxy at `url` from a tools container; return each call's status."""
    image = stack.env.get("DAGSTER_IMAGE", "dagster-platform:local")
    try:
        out = stack.tool("python", "-c", PROBE, url, target, image)
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
    the daemon and webserver have no socket, and the proxy logged each call as passed."""
    run_id = stack.launch("platform_canary_job", config={"ops": {"canary": {"config": {"sleep_seconds": 300}}}})
    # Dagster terminates STARTED runs only (GraphQL refuses one still STARTING).
    cid = stack.started_container(run_id)
    stack.client("terminate", run_id)
    run = stack.wait_run(run_id, timeout=180)
    assert run["status"] == "CANCELED", run
    state = stack.inspect(cid)["State"]
    assert state["Status"] == "exited", state
    log = stack.compose("logs", "--no-color", "docker-proxy", timeout=60).stdout
    for call in (f"/containers/{cid}/start", f"/containers/{cid}/stop"):
        passed = [line for line in log.splitlines() if call in line and "docker_engine/engine" in line]
        assert passed, f"no call {call!r} went through docker-proxy:\n{log[-3000:]}"
    assert any("/containers/create" in line and " 201 " in line for line in log.splitlines()), log[-3000:]


def test_launcher_proxy_refuses_everything_else(stack):
    """exec, image pull, privileged/host-path/host-namespace/capability creates, volumes,
    system info, kill and forced removal: 403, while the allowed plain create goes through."""
    result = probe(stack, LAUNCHER_PROXY, stack.container_id("user-code"))
    assert result.pop("ping") is True
    assert result.pop("plain create") == 0, "a plain container create must pass (the launcher's own call)"
    assert result.pop("inspect") == 0, "inspect must pass (terminate and run monitoring use it)"
    assert result == dict.fromkeys(result, 403), result


def test_housekeeping_proxy_refuses_all_but_list_and_remove(stack):
    """The proxy run containers can reach cannot even create a container, nor inspect one
    (which would show another container's environment, secrets included)."""
    result = probe(stack, HOUSEKEEPING_PROXY, stack.container_id("user-code"))
    assert result.pop("ping") is True
    assert result == dict.fromkeys(result, 403), result
