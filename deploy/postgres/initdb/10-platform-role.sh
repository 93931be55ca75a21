#!/usr/bin/env bash
# Runs once, when Postgres initialises an empty data directory (the upstream image's
# /docker-entrypoint-initdb.d contract, which the .ci stand-in honours too), as the
# superuser over the local socket.
#
# The platform gets its own role: no superuser, no CREATEDB/CREATEROLE, owner of exactly one
# database (DAGSTER_POSTGRES_DB). The superuser (POSTGRES_USER / POSTGRES_PASSWORD) stays
# with Postgres and its operators; nothing of the platform holds its password.
set -euo pipefail
: "${DAGSTER_POSTGRES_USER:?}" "${DAGSTER_POSTGRES_PASSWORD:?}" "${DAGSTER_POSTGRES_DB:?}"

# psql variables (:'name' / :"name") quote the values, so no password or name is spliced
# into SQL text.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  --set=role="$DAGSTER_POSTGRES_USER" --set=password="$DAGSTER_POSTGRES_PASSWORD" \
  --set=db="$DAGSTER_POSTGRES_DB" <<'SQL'
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
-- Other databases are not the platform's business.
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
SQL
echo "platform role $DAGSTER_POSTGRES_USER created, owner of database $DAGSTER_POSTGRES_DB"
