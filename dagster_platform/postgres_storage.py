"""The instance's Postgres storage (dagster.yaml `storage.custom`): dagster-postgres's own,
except that the webserver tests each pooled connection before using it, and that long-lived
processes can keep a small pool of connections instead of opening one per query.

Only `dagster-webserver` pools connections (`optimize_for_webserver`: one kept connection per
storage, no pre-ping). After a Postgres restart each of those connections is dead, and the
first request to use it failed with HTTP 500. A pre-ping (`SELECT 1` on checkout, measured at
~0.05 ms per query on this stack, docs/faults.md) finds the dead connection and opens a new
one first, so no request fails. `--db-pool-recycle 0` also avoids the error, but opens a new
connection for every query (~10 ms each).

Outside the webserver, dagster-postgres uses no pool at all (NullPool): every storage call
opens a new connection, i.e. a TCP handshake, password authentication and a Postgres backend
process. An idle daemon made ~10 such connections a second on this stack, most of the idle CPU
of both the daemon and Postgres. With `DAGSTER_POSTGRES_POOL_SIZE=N` (N > 0) a process keeps up
to N connections per storage, pre-pinged like the webserver's; compose sets it for the daemon
and the run workers, which keep one instance for their whole life. Unset or 0 keeps upstream's
NullPool: right for processes that build short-lived instances (the code server builds one
per sensor evaluation), where a pool would only hold connections open.

Upstream has no setting for it yet (dagster issue #33879, PR #33961); drop this module and go
back to `storage.postgres` once one exists.
"""

import os
from typing import Any

import sqlalchemy
from dagster._core.storage.config import PostgresStorageConfig
from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage, PostgresEventLogStorage, PostgresRunStorage
from dagster_postgres.schedule_storage import PostgresScheduleStorage
from dagster_postgres.utils import create_pg_engine, get_token_provider_from_config, pg_url_from_config
from sqlalchemy import event, exc

POOL_SIZE_VAR = "DAGSTER_POSTGRES_POOL_SIZE"
# Connections a pool may open beyond its size while every kept one is busy (the daemon's
# thread pools run up to a dozen storage calls at once); they are closed again after use.
POOL_MAX_OVERFLOW = 16


def pool_size_from_env() -> int:
    """`DAGSTER_POSTGRES_POOL_SIZE` as a non-negative int (0 when unset: no pool, as upstream)."""
    raw = os.environ.get(POOL_SIZE_VAR, "").strip() or "0"
    if not raw.isdigit():
        raise ValueError(f"{POOL_SIZE_VAR} must be a whole number of connections (0 = no pool), got {raw!r}")
    return int(raw)


def pooled_engine(postgres_url: str, token_provider: Any, pool_size: int) -> sqlalchemy.Engine:
    """An engine that keeps up to `pool_size` connections, pings each before use and never hands
    a connection opened in one process to another one (a forked child opens its own)."""
    engine = create_pg_engine(
        postgres_url,
        token_provider,
        isolation_level="AUTOCOMMIT",
        pool_size=pool_size,
        max_overflow=POOL_MAX_OVERFLOW,
        pool_pre_ping=True,
    )

    # A socket shared by two processes interleaves their protocol messages: after a fork, the
    # child discards the connections it inherited (without closing them: they are the
    # parent's) and opens its own. This is SQLAlchemy's documented recipe for os.fork().
    @event.listens_for(engine, "connect")
    def _remember_pid(dbapi_connection: Any, record: Any) -> None:
        record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _refuse_other_pid(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.get("pid") != os.getpid():
            record.dbapi_connection = proxy.dbapi_connection = None
            raise exc.DisconnectionError("connection opened by another process; opening a new one")

    return engine


class _PlatformPool:
    """Mixin for a dagster-postgres storage: its webserver pool pings before each checkout, and
    other processes pool connections when `DAGSTER_POSTGRES_POOL_SIZE` asks for it."""

    _engine: sqlalchemy.Engine
    postgres_url: str
    _token_provider: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the storage as dagster-postgres does (NullPool, tables checked), then swap in a
        pooled engine if the process asks for one."""
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        size = pool_size_from_env()
        if size:
            self._engine.dispose()
            self._engine = pooled_engine(self.postgres_url, self._token_provider, size)

    def optimize_for_webserver(self, statement_timeout: int, pool_recycle: int, max_overflow: int) -> None:
        """Build dagster-postgres's webserver pool, then turn on its pre-ping."""
        super().optimize_for_webserver(statement_timeout, pool_recycle, max_overflow)  # type: ignore[misc]
        # The pool reads this flag at every checkout; it is what `create_engine(pool_pre_ping=True)`
        # sets. Setting it on the pool dagster-postgres built keeps every other engine setting
        # of theirs (statement timeout, isolation level, pool size) as upstream makes them.
        self._engine.pool._pre_ping = True


class PrePingRunStorage(_PlatformPool, PostgresRunStorage):
    """PostgresRunStorage whose webserver pool pings before each checkout."""


class PrePingEventLogStorage(_PlatformPool, PostgresEventLogStorage):
    """PostgresEventLogStorage whose webserver pool pings before each checkout."""


class PrePingScheduleStorage(_PlatformPool, PostgresScheduleStorage):
    """PostgresScheduleStorage whose webserver pool pings before each checkout."""


class PrePingPostgresStorage(DagsterPostgresStorage):
    """DagsterPostgresStorage (same config, same tables) built from the pre-pinging storages."""

    def __init__(
        self,
        postgres_url: str,
        should_autocreate_tables: bool = True,
        inst_data: ConfigurableClassData | None = None,
        token_provider: Any = None,
    ):
        # Not DagsterPostgresStorage.__init__: it would build (and connect) the plain storages
        # first. The attributes are the ones it sets.
        self.postgres_url = postgres_url
        self.should_autocreate_tables = should_autocreate_tables
        self._inst_data = inst_data
        self._run_storage = PrePingRunStorage(postgres_url, should_autocreate_tables, token_provider=token_provider)
        self._event_log_storage = PrePingEventLogStorage(
            postgres_url, should_autocreate_tables, token_provider=token_provider
        )
        self._schedule_storage = PrePingScheduleStorage(
            postgres_url, should_autocreate_tables, token_provider=token_provider
        )
        super(DagsterPostgresStorage, self).__init__()

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: PostgresStorageConfig
    ) -> "PrePingPostgresStorage":
        """Build it from dagster.yaml's `storage.custom.config` (the `storage.postgres` schema)."""
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=bool(config_value.get("should_autocreate_tables", True)),
            token_provider=get_token_provider_from_config(config_value),
        )
