#!/usr/bin/env bash
# Re-implementation of the official postgres image's entrypoint contract, step for step where
# the compose file can tell the difference:
# - as root: own PGDATA and the socket dir (only files not owned yet, like upstream's `find`),
#   then re-exec as `postgres` (upstream uses gosu; setpriv does the same here);
# - first start only (empty PGDATA): require POSTGRES_PASSWORD, initdb with initdb's own
#   defaults (trust on the local socket and loopback, as upstream), allow scram-sha-256 from
#   anywhere else, create POSTGRES_DB, run /docker-entrypoint-initdb.d against a server that
#   listens on the socket only;
# - every start: exec the command (`postgres ...` or anything else) as given.
# A later start never looks at POSTGRES_PASSWORD again: the password lives in the cluster.
set -euo pipefail

if [ "${1:0:1}" = - ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA" || :
  chmod 3775 /var/run/postgresql || :
  find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set to initialise the database (as the official image requires)}"
  POSTGRES_USER="${POSTGRES_USER:-postgres}"
  POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
  echo "stand-in postgres: initialising $PGDATA for user $POSTGRES_USER, database $POSTGRES_DB"
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") -D "$PGDATA" >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  export POSTGRES_USER POSTGRES_DB
  # A temporary server on the local socket only: nothing from the network can connect
  # before the database and the init files are in place.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
      -c "CREATE DATABASE \"$POSTGRES_DB\";" >/dev/null
  fi
  # The upstream image's init files: *.sh run (sourced when not executable), *.sql fed to
  # psql, as the superuser.
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh) echo "stand-in postgres: running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) echo "stand-in postgres: running $f"; psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$f" ;;
      *) echo "stand-in postgres: ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi

exec "$@"
