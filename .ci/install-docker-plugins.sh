#!/usr/bin/env bash
# Install the Docker Compose v2 and Buildx CLI plugins from Debian's package mirror.
#
# Why: Debian 12 ships only the legacy Python `docker-compose` (v1), which does not
# understand `depends_on: condition: service_completed_successfully`, `--wait`, or
# BuildKit secrets. Debian stable carries Compose v2 and Buildx as plain .deb files
# whose plugin binaries run on Debian 12 too. Nothing is installed system-wide: the
# packages are downloaded with a temporary source list and only the plugin binaries
# are copied to ~/.docker/cli-plugins.
#
# Usage: .ci/install-docker-plugins.sh            (no-op when both plugins already work)
set -euo pipefail

COMPOSE_DEB_VERSION="${COMPOSE_DEB_VERSION:-2.26.1-4}"
BUILDX_DEB_VERSION="${BUILDX_DEB_VERSION:-0.13.1+ds1-3}"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"

if docker compose version >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; then
  echo "docker compose and buildx already available: $(docker compose version --short), $(docker buildx version | awk '{print $2}')"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial"
echo "deb http://deb.debian.org/debian stable main" >"$work/stable.list"
apt_opts=(
  -o "Dir::Etc::sourcelist=$work/stable.list"
  -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache::archives=$work/archives"
  -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" update -qq
(cd "$work" && apt-get "${apt_opts[@]}" download \
  "docker-compose=${COMPOSE_DEB_VERSION}" "docker-buildx=${BUILDX_DEB_VERSION}")
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
mkdir -p "$PLUGIN_DIR"
install -m 0755 "$work/root/usr/libexec/docker/cli-plugins/docker-compose" "$PLUGIN_DIR/"
install -m 0755 "$work/root/usr/libexec/docker/cli-plugins/docker-buildx" "$PLUGIN_DIR/"
docker compose version
docker buildx version
