#!/usr/bin/env bash
# Build local stand-ins for the upstream images the stack needs, from Debian packages and
# PyPI only, for machines that cannot pull from a container registry (air-gapped sites,
# this project's CI). Writes .ci/standins.env (git-ignored), which points the stack at them.
#
#   upstream image (docker-compose.yml default)        stand-in built here
#   python:3.13.9-slim-trixie (Dockerfile base)   ->   ${STANDIN_PREFIX}/python:3.13-trixie-<hash>
#   postgres:17.12-trixie                         ->   ${STANDIN_PREFIX}/postgres:17-trixie-<hash>
#   quay.io/minio/minio:RELEASE.2025-09-07...     ->   ${STANDIN_PREFIX}/seaweedfs-s3:4.48-<hash>
#   caddy:2.11.7                                  ->   ${STANDIN_PREFIX}/caddy:2.11.7-trixie-<hash>
#
# Each built image is checked for the upstream image's default user and service account
# (expect_user below): a stand-in that drifts from upstream fails the build, not a later test.
#
# The Debian root filesystem comes from `mmdebstrap` against a Debian mirror (DEBIAN_MIRROR),
# imported with `docker import`; nothing is pulled from any registry.
#
# Env knobs: STANDIN_PREFIX (image namespace, e.g. your private registry path),
# DEBIAN_MIRROR, DEBIAN_SUITE, EXTRA_CA_BUNDLE (CA bundle for TLS-inspecting proxies),
# STANDIN_REBUILD=1 (rebuild even if the images exist).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
prefix="${STANDIN_PREFIX:-dagster-platform-standin}"
suite="${DEBIAN_SUITE:-trixie}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ca_bundle="${EXTRA_CA_BUNDLE:-$root/certs/empty.pem}"

# Every stand-in's tag carries a hash of the build contexts it is made from (its own, and the
# python stand-in's for those built FROM it): an edit there yields a new tag, so a machine that
# still holds the previous image builds the new one instead of reusing it.
context_hash() { (cd "$here/standins" && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-10); }

debian_image="$prefix/debian:$suite"
python_image="$prefix/python:3.13-$suite-$(context_hash python)"
postgres_image="$prefix/postgres:17-$suite-$(context_hash postgres)"
s3_image="$prefix/seaweedfs-s3:4.48-$(context_hash s3 python)"
caddy_image="$prefix/caddy:2.11.7-$suite-$(context_hash caddy python)"

"$here/install-docker-plugins.sh"

have_image() { [ "${STANDIN_REBUILD:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

build() { # build <tag> <context> [build-arg ...]
  local tag="$1" context="$2"; shift 2
  local args=()
  for a in "$@"; do args+=(--build-arg "$a"); done
  echo "==> building $tag"
  docker buildx build --load --secret "id=extra_ca,src=$ca_bundle" "${args[@]}" -t "$tag" "$context"
}

start=$SECONDS
if have_image "$debian_image"; then
  echo "==> $debian_image present"
else
  if ! command -v mmdebstrap >/dev/null; then
    echo "==> installing mmdebstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
  fi
  echo "==> bootstrapping Debian $suite root filesystem from $mirror"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates --mode=root \
    "$suite" - "$mirror" | docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$debian_image"
fi

have_image "$python_image" || build "$python_image" "$here/standins/python" "DEBIAN_BASE_IMAGE=$debian_image"
have_image "$postgres_image" || build "$postgres_image" "$here/standins/postgres" "DEBIAN_BASE_IMAGE=$debian_image"
have_image "$s3_image" || build "$s3_image" "$here/standins/s3" "PYTHON_BASE_IMAGE=$python_image"
have_image "$caddy_image" || build "$caddy_image" "$here/standins/caddy" "PYTHON_BASE_IMAGE=$python_image" "DEBIAN_BASE_IMAGE=$debian_image"

# The upstream images' users, read from their Dockerfiles and entrypoints: all four start as
# root (postgres:17 drops to `postgres`, uid/gid 999, in its entrypoint). `docker run
# --entrypoint id` sees the image's own user, whatever the entrypoint would do.
expect_user() { # expect_user <image> <uid:gid of the default user> [<account> <uid:gid>]
  local image="$1" want="$2" got
  got="$(docker run --rm --network none --entrypoint id "$image")"
  [[ "$got" =~ ^uid=([0-9]+).*\ gid=([0-9]+) ]] && got="${BASH_REMATCH[1]}:${BASH_REMATCH[2]}"
  [ "$got" = "$want" ] || { echo "ERROR: $image runs as $got, upstream as $want" >&2; exit 1; }
  if [ $# -eq 4 ]; then
    got="$(docker run --rm --network none --entrypoint id "$image" "$3")"
    [[ "$got" =~ ^uid=([0-9]+).*\ gid=([0-9]+) ]] && got="${BASH_REMATCH[1]}:${BASH_REMATCH[2]}"
    [ "$got" = "$4" ] || { echo "ERROR: $image has $3 as $got, upstream as $4" >&2; exit 1; }
  fi
  echo "==> $image: default user $want${3:+, $3 $4} (as upstream)"
}
expect_user "$python_image" 0:0
expect_user "$postgres_image" 0:0 postgres 999:999
expect_user "$s3_image" 0:0
expect_user "$caddy_image" 0:0

cat >"$here/standins.env" <<EOF
# Written by .ci/build-standin-images.sh: point the stack at locally built stand-ins.
PYTHON_BASE_IMAGE=$python_image
POSTGRES_IMAGE=$postgres_image
MINIO_IMAGE=$s3_image
CADDY_IMAGE=$caddy_image
EOF
echo "==> stand-in images ready in $((SECONDS - start)) s; settings written to .ci/standins.env"
