#!/bin/sh
# The upstream haproxy image's entrypoint contract: a first argument that is a flag, or
# `haproxy` itself, runs HAProxy in the foreground in master-worker mode.
set -e
if [ "${1#-}" != "$1" ]; then
  set -- haproxy "$@"
fi
if [ "$1" = haproxy ]; then
  shift
  set -- haproxy -W -db "$@"
fi
exec "$@"
