"""Container hardening, read from `docker inspect` of every service and of a run container:
no capabilities beyond what each service proves it needs, no-new-privileges, a read-only
root for Dagster processes, memory and pids limits, rotated logs, and Dagster running as
the unprivileged `dagster` user with no effective capabilities."""

import pytest

pytestmark = pytest.mark.stack

CANARY_JOB = "platform_canary_job"
APP_UID = "10001"
# The only capabilities a service may add back (docker-compose.yml says why for each).
ALLOWED_CAPS = {
    "postgres": {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL"},
    "gateway": {"NET_BIND_SERVICE"},
}
DAGSTER_SERVICES = (
    "create-buckets",
    "migrate",
    "platform-code",
    "user-code",
    "webserver",
    "webserver-readonly",
    "daemon",
)
# The Docker API proxies: root in the container only to open the socket, with no capability.
PROXIES = ("docker-proxy", "docker-proxy-housekeeping")
SERVICES = ("postgres", "minio", "gateway", *PROXIES, *DAGSTER_SERVICES)
# Long-running Dagster services whose main process is checked from the inside.
RUNNING_DAGSTER_SERVICES = ("platform-code", "user-code", "webserver", "webserver-readonly", "daemon")


@pytest.fixture(scope="module")
def service_inspect(stack) -> dict[str, dict]:
    """`docker inspect` of each service's container (the exited one-shot included)."""
    found = {}
    for service in SERVICES:
        cid = stack.compose("ps", "-aq", service, timeout=60).stdout.strip()
        assert cid, f"service {service} has no container"
        found[service] = stack.inspect(cid)
    return found


@pytest.fixture(scope="module")
def run_container(stack) -> dict:
    """`docker inspect` of the container of a canary run, which must succeed hardened."""
    run = stack.launch_and_wait(CANARY_JOB)
    assert run["status"] == "SUCCESS", run
    cid = stack.tags_of(run)["docker/container_id"]
    return stack.inspect(cid)


def assert_least_privilege(name: str, info: dict, allowed_caps: set[str]) -> None:
    """No capability but the allowed ones, no-new-privileges, memory and pids limits."""
    host = info["HostConfig"]
    assert [c.upper().removeprefix("CAP_") for c in host["CapDrop"] or []] == ["ALL"], (name, host["CapDrop"])
    added = {c.upper().removeprefix("CAP_") for c in host["CapAdd"] or []}
    assert added <= allowed_caps, (name, added - allowed_caps)
    assert "no-new-privileges:true" in (host["SecurityOpt"] or []), (name, host["SecurityOpt"])
    assert host["Memory"] > 0, f"{name}: no memory limit"
    assert (host["PidsLimit"] or 0) > 0, f"{name}: no pids limit"


@pytest.mark.parametrize("service", SERVICES)
def test_service_runs_with_least_privilege(service_inspect, service):
    """Every service drops all capabilities (adding back only its own list) and is limited."""
    assert_least_privilege(service, service_inspect[service], ALLOWED_CAPS.get(service, set()))


@pytest.mark.parametrize("service", [*DAGSTER_SERVICES, *PROXIES, "gateway"])
def test_service_has_a_read_only_root(service_inspect, service):
    """Code and config cannot be rewritten at run time; only tmpfs mounts are writable."""
    host = service_inspect[service]["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    if service in DAGSTER_SERVICES:
        assert "/tmp" in (host["Tmpfs"] or {})


@pytest.mark.parametrize("service", PROXIES)
def test_proxy_process_has_no_capabilities(stack, service):
    """The proxy (`python3 -m docker_policy`, standard-library Python) runs as uid 0 (the
    socket's owner) with no capability at all, so it can open the socket and nothing else a
    root process could."""
    status = stack.docker("exec", stack.container_id(service), "cat", "/proc/1/status").stdout
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert fields["Uid"].split()[:2] == ["0", "0"], fields["Uid"]
    assert int(fields["CapEff"].strip(), 16) == 0, fields["CapEff"]
    assert int(fields["CapPrm"].strip(), 16) == 0, fields["CapPrm"]
    assert fields["NoNewPrivs"].strip() == "1"


@pytest.mark.parametrize("service", RUNNING_DAGSTER_SERVICES)
def test_dagster_process_is_unprivileged(stack, service):
    """PID 1 is `dagster` with no capabilities (no service starts Dagster as root)."""
    status = stack.docker("exec", stack.container_id(service), "cat", "/proc/1/status").stdout
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert fields["Uid"].split()[:2] == [APP_UID, APP_UID], fields["Uid"]
    assert int(fields["CapEff"].strip(), 16) == 0, fields["CapEff"]
    assert int(fields["CapPrm"].strip(), 16) == 0, fields["CapPrm"]
    assert fields["NoNewPrivs"].strip() == "1"


@pytest.mark.parametrize("service", RUNNING_DAGSTER_SERVICES)
def test_code_and_config_are_read_only_to_dagster(stack, service):
    """Even with a writable root, the runtime user could not rewrite code or dagster.yaml:
    they belong to root (checked with `test -w` as the running user)."""
    cid = stack.container_id(service)
    # The instance config, the platform's package every image has, and the team code where it is.
    paths = ["/opt/dagster/dagster_home/dagster.yaml", "/opt/dagster/project/dagster_platform/postgres_storage.py"]
    if service == "user-code":
        paths.append("/opt/dagster/project/app/definitions.py")
    for path in paths:
        owner = stack.docker("exec", cid, "stat", "-c", "%u %a", path).stdout.split()
        assert owner[0] == "0" and not int(owner[1][1:], 8) & 0o22, (path, owner)
        writable = stack.docker("exec", "-u", APP_UID, cid, "test", "-w", path, check=False)
        assert writable.returncode != 0, f"{path} is writable by the runtime user in {service}"


def test_run_container_is_hardened(run_container):
    """A run's container: least privilege, read-only root, non-root user, rotated logs."""
    assert_least_privilege("run container", run_container, set())
    host = run_container["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert "/tmp" in (host["Tmpfs"] or {})
    assert run_container["Config"]["User"] in ("dagster", APP_UID), run_container["Config"]["User"]
    log = host["LogConfig"]
    assert log["Type"] == "json-file" and log["Config"].get("max-size") and log["Config"].get("max-file"), log


def test_platform_database_role_is_not_a_superuser(stack):
    """The platform's Postgres role (the one every Dagster process and run logs in as) has no
    superuser, CREATEDB or CREATEROLE, and owns exactly its own database."""
    user, db = stack.env["DAGSTER_POSTGRES_USER"], stack.env["DAGSTER_POSTGRES_DB"]
    attributes = stack.psql(f"SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = '{user}'")
    assert attributes == "f|f|f", attributes
    owned = stack.psql(
        f"SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = '{user}')"
    )
    assert owned.split() == [db], owned
    # The runs Dagster recorded are in tables this role owns (it created them).
    assert stack.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'runs'") == user


def test_run_container_holds_no_docker_api_and_no_superuser_secret(run_container):
    """What `docker inspect` of a run shows: the platform's own settings (dagster.yaml's
    forwarded list), but no Docker API (no socket, no DOCKER_HOST) and no Postgres superuser
    password; the README's security section says why the rest stays in the environment."""
    names = {entry.split("=", 1)[0] for entry in run_container["Config"]["Env"]}
    assert {"DAGSTER_POSTGRES_PASSWORD", "AWS_SECRET_ACCESS_KEY"} <= names  # how a run loads the instance
    assert not names & {"POSTGRES_PASSWORD", "DOCKER_HOST", "MINIO_ROOT_PASSWORD"}, names
    assert not any("docker.sock" in (m.get("Source") or "") for m in run_container["Mounts"]), run_container["Mounts"]
