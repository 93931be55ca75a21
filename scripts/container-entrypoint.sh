#!/usr/bin/env bash
# Entrypoint of the platform image (user code, webserver, daemon, run containers).
#
# 1. Preflight: in PLATFORM_ENV=prod, refuse to start with missing, short or
#    template-default secrets (the local templates mark theirs with "local-only").
# 2. Docker socket access without running Dagster as root: the daemon and webserver
#    start as root only so this script can read the mounted socket's group id (it
#    differs per host: 999 on many Linux distros, 0 on Docker Desktop), then drop to the
#    unprivileged `dagster` user with that group added.
set -euo pipefail

fail() { echo "container-entrypoint: $*" >&2; exit 64; }

if [ "${PLATFORM_ENV:-dev}" = prod ]; then
  for var in DAGSTER_POSTGRES_PASSWORD AWS_SECRET_ACCESS_KEY; do
    value="${!var:-}"
    [ -n "$value" ] || fail "$var is required in prod and is empty or unset"
    case "$value" in
      *local-only*) fail "$var still holds the local template default; set a real secret for prod" ;;
    esac
    [ "${#value}" -ge 12 ] || fail "$var is shorter than 12 characters; use a generated secret in prod"
  done
fi

if [ "$(id -u)" = 0 ]; then
  socket="${DOCKER_SOCKET_PATH:-/var/run/docker.sock}"
  groups="dagster"
  if [ -S "$socket" ]; then
    groups="dagster,$(stat -c %g "$socket")"
  fi
  exec setpriv --reuid=dagster --regid=dagster --groups="$groups" --inh-caps=-all \
    env HOME=/opt/dagster "$@"
fi
exec "$@"
