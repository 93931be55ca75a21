# The image of one code location, built once per location: its gRPC code server and the run
# containers DockerRunLauncher starts for it. The `platform` location's image (the default
# build) also runs the webserver, the daemon and the one-shot steps.
#
#   CODE_LOCATION_PACKAGE  the location's package, copied beside dagster_platform (which
#                          every image carries: dagster.yaml's storage lives there)
#   UV_EXTRAS              its dependency extra from pyproject.toml, e.g. "--extra app"
#
# Build:  docker compose build   (or: docker buildx build --secret id=extra_ca,src=certs/empty.pem
#         --build-arg CODE_LOCATION_PACKAGE=app --build-arg UV_EXTRAS="--extra app" .)
# The base image is a build argument so air-gapped sites and CI can use a local stand-in
# (.ci/build-standin-images.sh) or a mirror in their private registry.
# An exact patch tag, so a rebuild gets the interpreter it was tested with (`3.13-slim` moves);
# 3.13 and trixie because pyproject.toml allows Python < 3.14 and CI's stand-in is Debian
# trixie's python3.13 (3.13.5), on which the whole stack tier passes: no code relies on a fix
# of this patch. Move it to the newest 3.13.x when you upgrade, here and in docker-compose.yml.
ARG PYTHON_BASE_IMAGE=python:3.13.9-slim-trixie

# ---------------------------------------------------------------------------------------
# Stage 1: resolve nothing, install exactly what uv.lock says into /opt/venv.
# ---------------------------------------------------------------------------------------
FROM ${PYTHON_BASE_IMAGE} AS deps
ARG UV_VERSION=0.13.9
# binutils only for `strip` below; this stage is discarded, the runtime image never has it.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null \
 && rm -rf /var/lib/apt/lists/*
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=python3
# The optional `extra_ca` BuildKit secret is a CA bundle for TLS-inspecting proxies. It is
# mounted only for the download steps and never lands in a layer.
RUN --mount=type=secret,id=extra_ca \
    cat /etc/ssl/certs/ca-certificates.crt /run/secrets/extra_ca >/tmp/ca.pem 2>/dev/null || true; \
    python3 -m venv /opt/uv \
 && PIP_CERT=/tmp/ca.pem /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}" \
 && rm -f /tmp/ca.pem
WORKDIR /opt/dagster/project
# Only the dependency manifests: this layer (the slow one) survives edits to app/.
COPY pyproject.toml uv.lock ./
# UV_EXTRAS selects a location's libraries and optional backends, e.g. "--extra app --extra
# snowflake" (pyproject.toml); none is the platform's own set. The platform location's image
# also runs the webservers, so it alone gets the `webserver` extra, whatever UV_EXTRAS says.
ARG UV_EXTRAS=""
ARG CODE_LOCATION_PACKAGE=dagster_platform
RUN --mount=type=secret,id=extra_ca \
    --mount=type=cache,target=/root/.cache/uv \
    cat /etc/ssl/certs/ca-certificates.crt /run/secrets/extra_ca >/tmp/ca.pem 2>/dev/null || true; \
    webserver=""; [ "${CODE_LOCATION_PACKAGE}" = dagster_platform ] && webserver="--extra webserver"; \
    SSL_CERT_FILE=/tmp/ca.pem /opt/uv/bin/uv sync --frozen --no-dev --no-install-project ${webserver} ${UV_EXTRAS} \
 && rm -f /tmp/ca.pem
# Slimmer runtime, same imports: drop what no running process loads. Test suites shipped
# inside wheels (pandas alone: 37 MB, with their bytecode), C/Cython sources and headers,
# pyarrow's Flight RPC libraries (pyarrow comes only with the snowflake extra; nothing else
# links them), botocore's API models of the AWS services no process here calls (28 MB and
# ~1,900 files of 450 services; BOTOCORE_SERVICES keeps S3 and the services behind the
# credential chain: role assumption, SSO, `aws login`), and the static symbol tables of native
# libraries (dynamic symbols stay: loading is unchanged). Bytecode of everything else stays
# (UV_COMPILE_BYTECODE): it is what makes imports fast. Fewer files also make each rebuild
# faster: exporting a layer walks the whole image where the storage driver cannot diff
# natively (docs/performance.md). A location whose code calls another AWS API (boto3
# `client("secretsmanager")` fails with UnknownServiceError) adds it here.
ARG BOTOCORE_SERVICES="s3 sts sso sso-oidc signin"
RUN cd /opt/venv/lib/python3*/site-packages \
 && for service in botocore/data/*/; do \
        name="$(basename "$service")"; \
        case " ${BOTOCORE_SERVICES} " in *" ${name} "*) ;; *) rm -rf "$service" ;; esac; \
    done \
 && find . -depth -type d -name tests -exec rm -rf {} + \
 && find . -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' -o -name '*.hpp' \
        -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' \) -delete \
 && rm -rf pyarrow/include pyarrow/src pyarrow/libarrow_flight.so* pyarrow/libarrow_python_flight.so* \
        pyarrow/_flight.*.so \
 && find . -type f -name '*.so*' -exec strip --strip-unneeded {} +
# The project itself is not installed: a .pth file puts /opt/dagster/project (where the runtime
# stage copies app/) on sys.path, which is all an editable install would add. Nothing in this
# stage reads app/, so editing it leaves the venv's layers, and the venv copy below, cached.
# (BuildKit content-hashes the ~20k files of /opt/venv whenever this stage's last layer
# changes: measured at 6 s per rebuild on a fuse-overlayfs host.)
RUN echo /opt/dagster/project > "$(echo /opt/venv/lib/python3*/site-packages)/dagster_platform.pth"

# ---------------------------------------------------------------------------------------
# Postgres's client programs, to copy from (discarded like the stage above).
# ---------------------------------------------------------------------------------------
FROM ${PYTHON_BASE_IMAGE} AS pgclient
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-client-17 >/dev/null \
 && rm -rf /var/lib/apt/lists/*

# ---------------------------------------------------------------------------------------
# The platform's config, entrypoint, scripts and package, assembled here so that the runtime
# image gets them as one layer (the same files, paths and modes as five copies would give).
# ---------------------------------------------------------------------------------------
FROM scratch AS platform-files
COPY --chmod=0644 dagster.yaml workspace.yaml /opt/dagster/dagster_home/
COPY --chmod=0755 scripts/container-entrypoint.sh /usr/local/bin/container-entrypoint
COPY --chmod=0644 pyproject.toml /opt/dagster/project/
COPY --chmod=0755 scripts/ /opt/dagster/project/scripts/
COPY --chmod=0755 dagster_platform/ /opt/dagster/project/dagster_platform/

# ---------------------------------------------------------------------------------------
# Stage 2: runtime. No uv, no build caches, no secrets; runs as an unprivileged user.
# ---------------------------------------------------------------------------------------
FROM ${PYTHON_BASE_IMAGE} AS runtime
ARG APP_UID=10001
# pg_dump, pg_restore and psql for the `migrate` step's backups and restores
# (scripts/migrate.py), at the major version of the bundled Postgres (17): the three binaries
# of Debian's client package and the libraries they link, not the package itself, whose Perl
# wrappers and dependencies would add ~170 MB to every container.
# One layer with the user and directories below: each layer of the image costs every rebuild
# time to export on a storage driver without native diff.
RUN --mount=type=bind,from=pgclient,source=/usr/lib/postgresql/17/bin,target=/mnt/pgbin \
    apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libpq5 libreadline8t64 liblz4-1 libzstd1 >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && cp /mnt/pgbin/pg_dump /mnt/pgbin/pg_restore /mnt/pgbin/psql /usr/local/bin/ \
 && groupadd --system --gid "${APP_UID}" dagster \
 && useradd --system --uid "${APP_UID}" --gid dagster --home-dir /opt/dagster --shell /usr/sbin/nologin dagster \
 && mkdir -p /opt/dagster/dagster_home/logs /opt/dagster/dagster_home/.logs_queue /opt/dagster/dagster_home/storage \
        /opt/dagster/project /var/lib/dagster/warehouse /var/lib/dagster/backups \
 && chown dagster:dagster /opt/dagster/dagster_home/logs /opt/dagster/dagster_home/.logs_queue \
        /opt/dagster/dagster_home/storage /var/lib/dagster/warehouse \
 && chown dagster:dagster /var/lib/dagster/backups && chmod 0700 /var/lib/dagster/backups
COPY --from=deps /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# No PLATFORM_ENV default: a container started without one refuses to start (preflight)
# instead of quietly running as `dev` and writing DuckDB inside itself.
WORKDIR /opt/dagster/project
# Instance and workspace config are baked in: every process, including run containers,
# sees the same dagster.yaml; only environment variables differ between environments.
# Code and config belong to root and are read-only to the runtime user: a compromised run
# cannot rewrite the instance config or the code the next run executes. The only writable
# places are the warehouse volume and the dirs above (tmpfs mounts on a read-only root).
# The modes are set while copying (a checkout made under umask 077 would otherwise leave
# files the runtime user cannot read), and app/ comes last: an edit to it rebuilds and exports
# one small layer, not the layers after it (each costs seconds where the storage driver
# cannot diff natively).
COPY --from=platform-files / /
# The location's own package (for the platform location, the folder just copied again).
ARG CODE_LOCATION_PACKAGE=dagster_platform
COPY --chmod=0755 ${CODE_LOCATION_PACKAGE}/ ./${CODE_LOCATION_PACKAGE}/
# Which location this image holds, for `docker inspect` and the doctor.
LABEL io.dagster-platform.code-location-package=${CODE_LOCATION_PACKAGE}
USER dagster
ENTRYPOINT ["container-entrypoint"]
# Compose names each location's module in its service's command; bare `docker run` of the
# default build serves the platform location.
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "dagster_platform.definitions"]
