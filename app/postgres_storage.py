"""The instance's Postgres storage (dagster.yaml `storage.custom`): dagster-postgres's own,
except that the webserver tests each pooled connection before using it.

Only `dagster-webserver` pools connections (`optimize_for_webserver`: one kept connection per
storage, no pre-ping). After a Postgres restart each of those connections is dead, and the
first request to use it failed with HTTP 500. A pre-ping (`SELECT 1` on checkout, measured at
~0.05 ms per query on this stack, docs/faults.md) finds the dead connection and opens a new
one first, so no request fails. `--db-pool-recycle 0` also avoids the error, but opens a new
connection for every query (~10 ms each). The daemon, code servers and run workers use no
pool at all (NullPool) and are unchanged.

Upstream has no setting for it yet (dagster issue #33879, PR #33961); drop this module and go
back to `storage.postgres` once one exists.
"""

from typing import Any

import sqlalchemy
from dagster._core.storage.config import PostgresStorageConfig
from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage, PostgresEventLogStorage, PostgresRunStorage
from dagster_postgres.schedule_storage import PostgresScheduleStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config


class _PrePingOnWebserver:
    """Mixin for a dagster-postgres storage: its webserver pool pings before each checkout."""

    _engine: sqlalchemy.Engine

    def optimize_for_webserver(self, statement_timeout: int, pool_recycle: int, max_overflow: int) -> None:
        """Build dagster-postgres's webserver pool, then turn on its pre-ping."""
        super().optimize_for_webserver(statement_timeout, pool_recycle, max_overflow)  # type: ignore[misc]
        # The pool reads this flag at every checkout; it is what `create_engine(pool_pre_ping=True)`
        # sets. Setting it on the pool dagster-postgres built keeps every other engine setting
        # of theirs (statement timeout, isolation level, pool size) as upstream makes them.
        self._engine.pool._pre_ping = True


class PrePingRunStorage(_PrePingOnWebserver, PostgresRunStorage):
    """PostgresRunStorage whose webserver pool pings before each checkout."""


class PrePingEventLogStorage(_PrePingOnWebserver, PostgresEventLogStorage):
    """PostgresEventLogStorage whose webserver pool pings before each checkout."""


class PrePingScheduleStorage(_PrePingOnWebserver, PostgresScheduleStorage):
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
