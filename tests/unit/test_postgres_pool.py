"""The storage's connection pool (dagster_platform/postgres_storage.py): its setting, and that a forked
child never reuses a connection its parent opened.

The pool logic is SQLAlchemy's and independent of the database, so these run on a SQLite file;
the stack tier checks the pool against the real Postgres (idle connection rate, Postgres
restarts in tests/stack/test_faults_services.py).
"""

import os

import pytest

from dagster_platform.postgres_storage import POOL_SIZE_VAR, pool_size_from_env, pooled_engine


@pytest.mark.parametrize(("raw", "size"), [(None, 0), ("", 0), ("0", 0), ("4", 4), (" 2 ", 2)])
def test_pool_size_comes_from_the_environment(monkeypatch, raw, size):
    if raw is None:
        monkeypatch.delenv(POOL_SIZE_VAR, raising=False)
    else:
        monkeypatch.setenv(POOL_SIZE_VAR, raw)
    assert pool_size_from_env() == size


@pytest.mark.parametrize("raw", ["four", "-1", "2.5"])
def test_a_bad_pool_size_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv(POOL_SIZE_VAR, raw)
    with pytest.raises(ValueError, match=POOL_SIZE_VAR):
        pool_size_from_env()


def connection_pid(engine) -> int:
    """The pid that opened the connection the pool hands out next."""
    with engine.connect() as conn:
        return conn.connection._connection_record.info["pid"]


def test_a_forked_child_opens_its_own_connection(tmp_path):
    engine = pooled_engine(f"sqlite:///{tmp_path / 'pool.db'}", None, pool_size=1)
    assert connection_pid(engine) == os.getpid()  # the parent's connection is now pooled
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.write(write, str(connection_pid(engine)).encode())
        finally:
            os._exit(0)
    os.close(write)
    child_pid = int(os.read(read, 64).decode())
    os.waitpid(child, 0)
    assert child_pid == child, "the child was handed its parent's connection"
    assert connection_pid(engine) == os.getpid(), "the parent lost its own connection"
    engine.dispose()
