#!/usr/bin/env bash
# Remove exited run containers older than a grace period.
#
# DockerRunLauncher never removes the containers it starts, on purpose here: a crashed run's
# `docker logs` are the best evidence of why it crashed (compute logs in S3 only hold what
# the step printed). The platform prunes its own (housekeeping_schedule, through the
# housekeeping Docker API proxy, dagster_platform/housekeeping.py); this is the same by hand
# on the host, for every stack's run containers at once, e.g. daily from cron:
#     0 3 * * *  /path/to/repo/scripts/cleanup-run-containers.sh 24h
#
# Usage: scripts/cleanup-run-containers.sh [GRACE]   (Docker duration, default 24h)
set -euo pipefail
grace="${1:-24h}"
docker container prune --force \
  --filter "label=io.dagster-platform.role=run" \
  --filter "until=${grace}"
