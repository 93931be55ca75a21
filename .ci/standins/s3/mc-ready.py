#!/usr/bin/python3 -IS
"""The one `mc` sub-command the compose healthcheck uses: `mc ready local`.

Exits 0 when the local S3 endpoint answers its health probe, 1 otherwise. Standard library
sockets only (no urllib, no site): it runs every healthcheck interval, like MinIO's Go `mc`.
"""

import socket
import sys

if sys.argv[1:] != ["ready", "local"]:
    sys.exit("stand-in mc: only `mc ready local` is implemented")
try:
    with socket.create_connection(("127.0.0.1", 9000), timeout=3) as sock:
        sock.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        status = sock.makefile("rb").readline().split(b" ")[1:2]
    sys.exit(0 if status == [b"200"] else 1)
except OSError as exc:
    print(f"not ready: {exc}", file=sys.stderr)
    sys.exit(1)
