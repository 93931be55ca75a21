#!/usr/bin/env python3
"""`minio` of the stand-in: run SeaweedFS with MinIO's command line and environment contract.

Accepts `server <data-dir> [--address :9000] [--console-address ...]`, reads
MINIO_ROOT_USER / MINIO_ROOT_PASSWORD, writes a SeaweedFS identities file granting that
user full access, and execs `weed mini` serving S3 on the requested port.
"""

import json
import os
import sys
import tempfile


def main(argv: list[str]) -> None:
    """Translate MinIO's CLI into a `weed mini` invocation and exec it."""
    if not argv or argv[0] != "server":
        # Like the real binary behind the image's entrypoint: `docker run IMAGE bash` runs
        # `minio bash`, which fails, so nothing passes here that would fail upstream.
        sys.exit(f"stand-in minio: only `minio server ...` is implemented, not {argv}")
    data_dir, port = "/data", "9000"
    args = iter(argv[1:])
    for arg in args:
        if arg == "--address":
            port = next(args).rsplit(":", 1)[-1]
        elif arg == "--console-address":
            next(args)  # no console in the stand-in
        elif not arg.startswith("-"):
            data_dir = arg
    user = os.environ.get("MINIO_ROOT_USER")
    password = os.environ.get("MINIO_ROOT_PASSWORD")
    if not user or not password:
        sys.exit("stand-in s3: MINIO_ROOT_USER and MINIO_ROOT_PASSWORD must be set")
    if len(password) < 8:
        sys.exit("stand-in s3: MINIO_ROOT_PASSWORD must be at least 8 characters (as MinIO requires)")
    identities = {
        "identities": [
            {
                "name": user,
                "credentials": [{"accessKey": user, "secretKey": password}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    fd, config = tempfile.mkstemp(prefix="s3-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(identities, fh)
    os.makedirs(data_dir, exist_ok=True)
    os.execvp(
        "weed",
        [
            "weed",
            "mini",
            f"-dir={data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=0.0.0.0",
            f"-s3.port={port}",
            f"-s3.config={config}",
            "-webdav=false",
            "-admin.ui=false",
        ],
    )


if __name__ == "__main__":
    main(sys.argv[1:])
