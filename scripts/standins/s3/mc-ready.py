#!/usr/bin/env python3
"""The one `mc` sub-command the compose healthcheck uses: `mc ready local`.

Exits 0 when the local S3 endpoint answers its health probe, 1 otherwise.
"""
import sys
import urllib.request

if sys.argv[1:] != ["ready", "local"]:
    sys.exit("stand-in mc: only `mc ready local` is implemented")
try:
    with urllib.request.urlopen("http://127.0.0.1:9000/healthz", timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:
    print(f"not ready: {exc}", file=sys.stderr)
    sys.exit(1)
