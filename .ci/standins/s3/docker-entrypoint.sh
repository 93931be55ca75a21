#!/bin/sh
# The MinIO image's entrypoint rule: any command but `minio` gets `minio` put in front, so
# `server /data ...` (the compose command) runs the server.
if [ "$1" != minio ] && [ -n "$1" ]; then
  set -- minio "$@"
fi
exec "$@"
