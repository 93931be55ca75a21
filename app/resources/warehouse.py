"""The DuckDB warehouse file that marts are published to."""

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

# DuckDB allows one writing process per file. Writers are serialised by the
# "warehouse" concurrency pool; the short retry only absorbs a reader (UI, BI tool)
# holding the file for a moment.
CONNECT_ATTEMPTS = 5
CONNECT_BACKOFF_SECONDS = 0.5

WAREHOUSE_POOL = "warehouse"


class Warehouse(dg.ConfigurableResource):
    """A DuckDB database file; assets that write it must declare ``pool="warehouse"``."""

    path: str

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the warehouse file (creating its folder), closing it afterwards."""
        if not read_only:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, CONNECT_ATTEMPTS + 1):
            try:
                conn = duckdb.connect(self.path, read_only=read_only)
                break
            except duckdb.IOException:
                if attempt == CONNECT_ATTEMPTS:
                    raise
                time.sleep(CONNECT_BACKOFF_SECONDS * attempt)
        try:
            yield conn
        finally:
            conn.close()

    def replace_table(self, schema: str, table: str, frame: pd.DataFrame) -> int:
        """Atomically replace ``schema.table`` with ``frame``; return the row count."""
        with self.connect() as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            conn.register("incoming_frame", frame)
            conn.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT * FROM incoming_frame')
            return conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]

    def upsert_slice(self, schema: str, table: str, frame: pd.DataFrame, column: str, value: str) -> int:
        """Replace the rows where ``column = value`` with ``frame`` (idempotent re-runs).

        Returns the table's total row count afterwards.
        """
        with self.connect() as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            conn.register("incoming_frame", frame)
            conn.execute("BEGIN TRANSACTION")
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{schema}"."{table}" AS SELECT * FROM incoming_frame LIMIT 0'
            )
            conn.execute(f'DELETE FROM "{schema}"."{table}" WHERE "{column}" = ?', [value])
            conn.execute(f'INSERT INTO "{schema}"."{table}" SELECT * FROM incoming_frame')
            conn.execute("COMMIT")
            return conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]

    def query(self, sql: str, parameters: list | None = None) -> pd.DataFrame:
        """Run a read-only query and return the result as a DataFrame."""
        with self.connect(read_only=True) as conn:
            return conn.execute(sql, parameters or []).df()
