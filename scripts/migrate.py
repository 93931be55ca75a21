"""Migrate the Dagster instance's schema to this image's Dagster, after a backup; restore one.

Runs as the one-shot `migrate` compose service before the webservers and the daemon start
(docs/upgrading.md). What `dagster instance migrate` does (`DagsterInstance.upgrade`): alembic
`upgrade head` on the run, event-log and schedule storages, then the data migrations and index
rebuilds each storage tracks itself. None of it needs the code location. Idempotent: with the
schema at this image's head, the alembic steps are no-ops and each data migration is skipped as
already done.

    python scripts/migrate.py                  check, back up if a migration is due, migrate
    python scripts/migrate.py list             the backups kept in BACKUP_DIR
    python scripts/migrate.py restore FILE     replace the database with a backup (stop the
                                               webservers and the daemon first)

Refuses (exit 3, nothing written) when the database's schema revision is unknown to this
image: a later Dagster migrated it, and running older code on it is a rollback without restore.

A backup (`pg_dump` custom format, in BACKUP_DIR) is taken only when the schema is behind this
image's head, and only if DAGSTER_BACKUP_ON_MIGRATE is true (the default). A failed backup
stops the migration. The database password reaches pg_dump and psql through their environment,
never a command line or a log.
"""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BACKUP_DIR = Path(os.environ.get("DAGSTER_BACKUP_DIR", "/var/lib/dagster/backups"))
# Exit status of the refusal, distinct from a crash (1) for scripts that call this step.
EXIT_SCHEMA_AHEAD = 3


def log(message: str) -> None:
    """One line on stdout, prefixed like the other one-shot services."""
    print(f"migrate: {message}", flush=True)


def libpq_env() -> dict[str, str]:
    """The environment of pg_dump/psql: libpq's own variables, from the platform's settings."""
    return {
        **os.environ,
        "PGHOST": os.environ["DAGSTER_POSTGRES_HOST"],
        "PGPORT": os.environ.get("DAGSTER_POSTGRES_PORT", "5432"),
        "PGUSER": os.environ["DAGSTER_POSTGRES_USER"],
        "PGPASSWORD": os.environ["DAGSTER_POSTGRES_PASSWORD"],
        "PGDATABASE": os.environ["DAGSTER_POSTGRES_DB"],
    }


def known_revisions() -> set[str]:
    """Every schema revision this image's Dagster knows (its alembic history)."""
    from alembic.script import ScriptDirectory
    from dagster_postgres.run_storage import run_storage
    from dagster_postgres.utils import pg_alembic_config

    script = ScriptDirectory.from_config(pg_alembic_config(run_storage.__file__))
    return {revision.revision for revision in script.walk_revisions()}


def backup(revision: str) -> Path:
    """`pg_dump -Fc` of the whole database into BACKUP_DIR; return the file.

    Written under a temporary name and renamed when complete, so an interrupted dump never
    passes for a backup. Readable by the image's user only (run configs can hold secrets)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = BACKUP_DIR / f"dagster-{revision}-{stamp}.dump"
    partial = target.with_suffix(".partial")
    os.umask(0o077)
    subprocess.run(["pg_dump", "--format=custom", "--file", str(partial)], env=libpq_env(), check=True)
    partial.rename(target)
    return target


def schema_revisions(instance) -> tuple[str | None, str]:
    """(the database's schema revision, this image's head), as the run storage reads them."""
    versions = instance.run_storage.alembic_version()
    if versions is None:
        raise SystemExit("migrate: the instance's storage is not SQL-based; nothing to migrate here")
    return versions


def migrate() -> int:
    """Refuse a schema newer than this image, back up one that is older, then upgrade."""
    import dagster as dg

    started = time.monotonic()
    with dg.DagsterInstance.get() as instance:
        # Creating the instance creates the tables of an empty database (stamped at head) and
        # writes nothing to an existing one, so the check below sees the schema as found.
        db_revision, head = schema_revisions(instance)
        if db_revision not in known_revisions():
            log(
                f"REFUSED: the database schema is at revision {db_revision}, which Dagster "
                f"{dg.__version__} (head {head}) does not know: a later Dagster migrated it. "
                "Nothing was changed. Run the image of that later release again, or roll back "
                "by restoring the backup taken before that upgrade (docs/upgrading.md)."
            )
            return EXIT_SCHEMA_AHEAD
        if db_revision == head:
            log(f"schema at Dagster {dg.__version__}'s head ({head}): no schema migration due")
        else:
            log(f"schema at revision {db_revision}, Dagster {dg.__version__} needs {head}")
            if os.environ.get("DAGSTER_BACKUP_ON_MIGRATE", "true").lower() == "true":
                t0 = time.monotonic()
                path = backup(db_revision)
                size = path.stat().st_size
                log(f"backup {path} ({size} bytes, {time.monotonic() - t0:.1f}s)")
            else:
                log("DAGSTER_BACKUP_ON_MIGRATE is not true: migrating without a backup")
        instance.upgrade(lambda message: log(f"  {message}"))
        after, _ = schema_revisions(instance)
    log(f"done: schema at {after} ({time.monotonic() - started:.1f}s)")
    return 0


def list_backups() -> int:
    """Print the backups in BACKUP_DIR, oldest first."""
    for path in sorted(BACKUP_DIR.glob("dagster-*.dump"), key=lambda p: p.stat().st_mtime):
        print(f"{path.name}\t{path.stat().st_size}")
    return 0


def restore(name: str) -> int:
    """Replace the database's contents with a backup, in one transaction.

    Drops and recreates the `public` schema first, so tables a later release added do not
    linger beside the restored ones; if any statement fails, nothing changes."""
    path = Path(name) if "/" in name else BACKUP_DIR / name
    if not path.is_file():
        log(f"no backup {path}; `python scripts/migrate.py list` shows them")
        return 2
    dump = subprocess.Popen(["pg_restore", "--no-owner", "--file=-", str(path)], stdout=subprocess.PIPE)
    applied = subprocess.run(
        [
            "psql",
            "--quiet",
            "--no-psqlrc",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            "--command=DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
            "--file=-",
        ],
        stdin=dump.stdout,
        stdout=subprocess.DEVNULL,
        env=libpq_env(),
        check=False,
    )
    if dump.wait() != 0 or applied.returncode != 0:
        log(f"restore of {path.name} failed; the database is unchanged")
        return 1
    log(f"restored {path.name}")
    return 0


def main(argv: list[str]) -> int:
    """Dispatch the subcommands of the module docstring."""
    match argv:
        case []:
            return migrate()
        case ["list"]:
            return list_backups()
        case ["restore", name]:
            return restore(name)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
