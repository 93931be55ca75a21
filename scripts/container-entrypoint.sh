#!/usr/bin/env bash
# Entrypoint of the platform image (user code, webserver, daemon, run containers).
#
# 1. Preflight (scripts/preflight.py, shared with the doctor): every container needs an
#    explicit PLATFORM_ENV; prod refuses mutable images, plain-text Postgres/S3, half an
#    AWS key pair, template defaults ("local-only" values) and short secrets. It runs before the privilege drop
#    and before any Dagster import, with the interpreter isolated from the environment.
# 2. Docker socket access without running Dagster as root: the daemon and webserver
#    start as root only so this script can read the mounted socket's group id (it
#    differs per host: 999 on many Linux distros, 0 on Docker Desktop), then drop to the
#    unprivileged `dagster` user with that group added.
set -euo pipefail

# Beside this script in a checkout (and in the unit tests' copy), in the project in the image.
preflight="$(dirname "$0")/preflight.py"
[ -f "$preflight" ] || preflight=/opt/dagster/project/scripts/preflight.py
python3 -I -S "$preflight"

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
