"""Container healthchecks that cost milliseconds, not a Dagster import.

Docker runs a healthcheck as a fresh process every interval, for the life of the container.
`dagster api grpc-health-check` and `dagster-daemon liveness-check` import Dagster (about a
second of CPU each); on a small VM that alone kept a core busy. These probes use the standard
library only (run them with `python3 -I -S`), plus psycopg2 for the daemon probe, and still
check the real thing:

    healthcheck.py grpc 127.0.0.1:4000        a gRPC call the code server answers from its
                                              loaded definitions (`DagsterApi/Ping`, answered
                                              by the process holding the code), over raw
                                              HTTP/2
    healthcheck.py http http://127.0.0.1:3000/server_info    HTTP 200 from the webserver
    healthcheck.py daemon [TYPE...]           every daemon thread of the running
                                              `dagster-daemon` wrote a heartbeat to Postgres
                                              within DAGSTER_DAEMON_HEARTBEAT_TOLERANCE seconds,
                                              and the run queue is not stalled (no run queued
                                              for DAGSTER_RUN_QUEUE_STALL_SECONDS while
                                              nothing runs); a daemon that probes have seen
                                              wedged for DAGSTER_DAEMON_RESTART_AFTER_SECONDS
                                              is sent SIGTERM, so its restart policy brings
                                              it back

Exit 0 when healthy, 1 otherwise (with one line on stderr saying why, which `docker inspect`
shows under State.Health).
"""

# Only built-in modules at import time: `socket` alone (enum, selectors) would double the
# probe's CPU. `_socket` is the C module under it.
import _socket
import os
import sys
import time

TIMEOUT_SECONDS = float(os.environ.get("HEALTHCHECK_TIMEOUT_SECONDS", "3"))
# Daemon threads heartbeat every 30 s; three missed beats mean a wedged thread, not a slow one.
DEFAULT_DAEMON_TOLERANCE_SECONDS = 100
# The run queue dequeues every second. With no run in progress, no run or tag limit can hold a
# queued run back, so one still queued after this long means the dequeue loop stopped.
DEFAULT_QUEUE_STALL_SECONDS = 600
# Docker never restarts an unhealthy container, and dagster-daemon only logs threads that
# stopped heartbeating: once probes have seen the daemon wedged this long, the probe ends it
# so that `restart:` starts a fresh one (0 turns this off).
DEFAULT_DAEMON_RESTART_AFTER_SECONDS = 300
# Where probes keep their first sighting of a wedged daemon (the daemon's /tmp is a tmpfs).
WEDGED_STATE_FILE = "/tmp/healthcheck-daemon-wedged"
# Statuses in which the run queue counts a run against its limits (dagster ACTIVE_RUN_STATUSES).
_ACTIVE_RUN_STATUSES = ("STARTING", "STARTED", "CANCELING")


def _fail(reason: str) -> None:
    print(f"unhealthy: {reason}", file=sys.stderr)
    sys.exit(1)


# --- gRPC over HTTP/2 (RFC 9113), just enough for one unary call ---------------------------
_FRAME_DATA, _FRAME_HEADERS, _FRAME_RST, _FRAME_SETTINGS, _FRAME_GOAWAY = 0x0, 0x1, 0x3, 0x4, 0x7
_FLAG_END_STREAM, _FLAG_END_HEADERS, _FLAG_ACK = 0x1, 0x4, 0x1


def _frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def _connect(host: str, port: int) -> "_socket.socket":
    """A TCP connection with the probe's timeout on connect and on every read.

    Never closed explicitly: the probe process exits right after its one exchange.
    """
    family, kind, proto, _, address = _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM)[0]
    sock = _socket.socket(family, kind, proto)
    sock.settimeout(TIMEOUT_SECONDS)
    sock.connect(address)
    return sock


def _hpack_literal(name: bytes, value: bytes, name_index: int = 0) -> bytes:
    """A header as an HPACK literal without indexing (RFC 7541 6.2.2), no Huffman coding."""
    encoded = bytes([name_index]) if name_index else b"\x00" + bytes([len(name)]) + name
    return encoded + bytes([len(value)]) + value


def _recv_exact(sock: "_socket.socket", size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed by the server")
        data += chunk
    return data


def grpc_ping(address: str) -> None:
    """Call `api.DagsterApi/Ping` and require the server to echo our token back."""
    host, _, port = address.rpartition(":")
    token = f"healthcheck-{os.getpid()}".encode()
    request = b"\x0a" + bytes([len(token)]) + token  # protobuf: PingRequest{echo = 1}
    headers = (
        b"\x83"  # :method POST (static table 3)
        b"\x86"  # :scheme http (static table 6)
        + _hpack_literal(b":path", b"/api.DagsterApi/Ping", name_index=4)
        + _hpack_literal(b":authority", address.encode(), name_index=1)
        + _hpack_literal(b"content-type", b"application/grpc")
        + _hpack_literal(b"te", b"trailers")
    )
    message = b"\x00" + len(request).to_bytes(4, "big") + request  # gRPC: uncompressed message
    sock = _connect(host, int(port))
    sock.sendall(
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
        + _frame(_FRAME_SETTINGS, 0, 0)
        + _frame(_FRAME_HEADERS, _FLAG_END_HEADERS, 1, headers)
        + _frame(_FRAME_DATA, _FLAG_END_STREAM, 1, message)
    )
    body = b""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        header = _recv_exact(sock, 9)
        length = int.from_bytes(header[:3], "big")
        kind, flags = header[3], header[4]
        stream = int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
        payload = _recv_exact(sock, length)
        if kind == _FRAME_SETTINGS and not flags & _FLAG_ACK:
            sock.sendall(_frame(_FRAME_SETTINGS, _FLAG_ACK, 0))
        elif kind in (_FRAME_RST, _FRAME_GOAWAY):
            _fail(f"the gRPC server reset the call (frame type {kind})")
        elif kind == _FRAME_DATA and stream == 1:
            body += payload
            if len(body) >= 5 and len(body) >= 5 + int.from_bytes(body[1:5], "big"):
                break
        elif kind == _FRAME_HEADERS and stream == 1 and flags & _FLAG_END_STREAM:
            # Trailers without a message: the call failed (the status is in the trailers).
            _fail("the gRPC call returned no message (the code server answered with an error)")
    else:
        _fail(f"no gRPC answer within {TIMEOUT_SECONDS:.0f} s")
    reply = body[5:]
    if body[:1] == b"\x01":  # compressed message (the server prefers gzip when offered)
        import zlib

        reply = zlib.decompress(reply, 16 + zlib.MAX_WBITS)
    if token not in reply:
        _fail("the gRPC Ping reply did not echo the request")


def http_ok(url: str) -> None:
    """Require HTTP 200 from a plain-HTTP URL (http.client would cost more than the check)."""
    rest = url.removeprefix("http://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    sock = _connect(host, int(port or 80))
    sock.sendall(f"GET /{path} HTTP/1.0\r\nHost: {hostport}\r\n\r\n".encode())
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(256)
        if not chunk:
            break
        head += chunk
    status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
    if status_line.split(" ")[1:2] != ["200"]:
        _fail(f"GET {url} answered {status_line!r}")


def stalled_queue(cursor, now: float, stall_seconds: float, since: float = 0.0) -> str | None:
    """Why the run queue looks stalled, or None: a run QUEUED for `stall_seconds` with none active.

    `cursor` is any DB-API cursor on Dagster's run storage (Postgres here, SQLite in the unit
    tests): the query is plain SQL. Time queued counts from `since` at the earliest (the
    daemon's start), so a fresh daemon gets the whole window to drain an old queue.
    """
    from datetime import UTC, datetime

    # Constants only, written out: the same text works with psycopg2's and sqlite3's paramstyles.
    statuses = ", ".join(f"'{status}'" for status in ("QUEUED", *_ACTIVE_RUN_STATUSES))
    cursor.execute(
        f"SELECT status, count(*), min(update_timestamp) FROM runs WHERE status IN ({statuses}) GROUP BY status"
    )
    counts, oldest = {}, {}
    for status, count, stored in cursor.fetchall():
        counts[status] = count
        # Dagster writes UTC wall time without a zone (SQLite hands it back as text).
        first = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
        oldest[status] = (first if first.tzinfo else first.replace(tzinfo=UTC)).timestamp()
    if "QUEUED" not in counts or any(counts.get(status) for status in _ACTIVE_RUN_STATUSES):
        return None
    queued_for = now - max(oldest["QUEUED"], since)
    if queued_for <= stall_seconds:
        return None
    return f"run queue stalled: {counts['QUEUED']} run(s) queued, the oldest for {queued_for:.0f} s, none in progress"


def _daemon_process_start() -> str | None:
    """PID 1's start time (clock ticks since boot) when PID 1 is `dagster-daemon`, else None.

    The probe runs in the daemon container's PID namespace, where the daemon is PID 1; its
    start time tells one daemon process from the next.
    """
    try:
        with open("/proc/1/cmdline", "rb") as fh:
            if b"dagster-daemon" not in fh.read():
                return None
        with open("/proc/1/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _daemon_process_age(start_ticks: str | None) -> float | None:
    """Seconds since the daemon process started, from `_daemon_process_start`."""
    if start_ticks is None:
        return None
    with open("/proc/uptime") as fh:
        return float(fh.read().split()[0]) - int(start_ticks) / os.sysconf("SC_CLK_TCK")


def wedged_for(state_file: str, daemon: str, now: float) -> float:
    """Seconds the probe has seen this daemon process wedged without a break (0 the first time).

    Probes are separate processes, so the first sighting is kept in `state_file` (on /tmp);
    `clear_wedged` removes it when a probe finds the daemon well or cannot judge (Postgres
    unreachable). Counting from the probe's own first sighting, not from the age of the last
    heartbeat, means a daemon that was merely cut off from Postgres is never ended for it.
    """
    try:
        with open(state_file) as fh:
            seen_daemon, first_seen = fh.read().split()
        if seen_daemon == daemon:
            return now - float(first_seen)
    except (OSError, ValueError):
        pass
    with open(state_file, "w") as fh:
        fh.write(f"{daemon} {now}")
    return 0.0


def clear_wedged(state_file: str) -> None:
    """Forget an earlier sighting of a wedged daemon (see `wedged_for`)."""
    try:  # noqa: SIM105 (contextlib would be one more import on every probe)
        os.remove(state_file)
    except FileNotFoundError:
        pass


def _restart_if_wedged(reason: str, daemon: str | None, now: float) -> None:
    """Fail with `reason`; first end the daemon if probes have seen it wedged for too long.

    SIGTERM makes dagster-daemon shut its threads down (30 s each at most; they are daemon
    threads, so a stuck one cannot keep the process alive) and exit; `restart: unless-stopped`
    then starts a new process with a new dequeue thread pool.
    """
    restart_after = float(
        os.environ.get("DAGSTER_DAEMON_RESTART_AFTER_SECONDS") or DEFAULT_DAEMON_RESTART_AFTER_SECONDS
    )
    if daemon is not None and restart_after > 0:
        wedged = wedged_for(WEDGED_STATE_FILE, daemon, now)
        if wedged > restart_after:
            import signal

            os.kill(1, signal.SIGTERM)
            reason += f"; wedged for {wedged:.0f} s: sent SIGTERM to dagster-daemon so that it restarts"
    _fail(reason)


def daemon_heartbeats(*required_types: str) -> None:
    """Require a fresh heartbeat from every daemon thread of the newest `dagster-daemon`.

    The daemon writes one row per daemon type (scheduler, sensors, run queue, monitoring, ...)
    and refreshes it every 30 s. Rows of the newest daemon process are checked; rows left by
    an earlier process (a daemon type since switched off) are ignored. `required_types` (for
    example QUEUED_RUN_COORDINATOR: no runs start without it) must have heartbeated at all,
    so a daemon counts as healthy only once it can do its job. The query is the one
    `dagster-daemon liveness-check` makes, without importing Dagster. Then the run queue
    must not be stalled (`stalled_queue`). A daemon seen wedged either way for longer than
    DAGSTER_DAEMON_RESTART_AFTER_SECONDS is ended, to be restarted (`_restart_if_wedged`).
    """
    # Run with -S (no site): add the packages of the venv this python belongs to, for psycopg2.
    venv = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
    sys.path.append(os.path.join(venv, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages"))
    import psycopg2

    tolerance = float(os.environ.get("DAGSTER_DAEMON_HEARTBEAT_TOLERANCE") or DEFAULT_DAEMON_TOLERANCE_SECONDS)
    stall_seconds = float(os.environ.get("DAGSTER_RUN_QUEUE_STALL_SECONDS") or DEFAULT_QUEUE_STALL_SECONDS)
    env = os.environ
    try:
        conn = psycopg2.connect(
            host=env["DAGSTER_POSTGRES_HOST"],
            port=env.get("DAGSTER_POSTGRES_PORT", "5432"),
            user=env["DAGSTER_POSTGRES_USER"],
            password=env["DAGSTER_POSTGRES_PASSWORD"],
            dbname=env["DAGSTER_POSTGRES_DB"],
            connect_timeout=int(TIMEOUT_SECONDS),
        )
    except psycopg2.Error as exc:
        # Not the daemon's fault: never restarted for it, and its clock starts again.
        clear_wedged(WEDGED_STATE_FILE)
        _fail(f"cannot reach Postgres: {str(exc).strip()}")
    now = time.time()
    daemon = _daemon_process_start()
    daemon_age = _daemon_process_age(daemon)
    with conn, conn.cursor() as cur:
        # `timestamp` holds UTC wall time (no zone), so epoch() of it is the UTC instant.
        cur.execute("SELECT daemon_type, daemon_id, extract(epoch FROM timestamp)::float8 FROM daemon_heartbeats")
        rows = cur.fetchall()
        stalled = stalled_queue(cur, now, stall_seconds, since=now - daemon_age if daemon_age is not None else 0.0)
    conn.close()
    if not rows:
        _fail("no daemon heartbeat yet")
    newest_id = max(rows, key=lambda row: row[2])[1]
    stale = {kind: now - at for kind, daemon_id, at in rows if daemon_id == newest_id and now - at > tolerance}
    missing = set(required_types) - {kind for kind, daemon_id, _ in rows if daemon_id == newest_id}
    if missing:
        _fail(f"no heartbeat yet from {', '.join(sorted(missing))}")
    if stale:
        _restart_if_wedged(
            ", ".join(f"{kind} last heartbeat {age:.0f} s ago" for kind, age in sorted(stale.items())), daemon, now
        )
    if stalled:
        _restart_if_wedged(stalled, daemon, now)
    clear_wedged(WEDGED_STATE_FILE)


def main(argv: list[str]) -> None:
    """Dispatch `grpc HOST:PORT`, `http URL` or `daemon [REQUIRED_TYPE...]`."""
    checks = {"grpc": grpc_ping, "http": http_ok, "daemon": daemon_heartbeats}
    if not argv or argv[0] not in checks:
        sys.exit(f"usage: healthcheck.py {{grpc HOST:PORT | http URL | daemon}}, not {argv}")
    try:
        checks[argv[0]](*argv[1:])
    except OSError as exc:
        _fail(f"{argv[0]} check: {exc}")


if __name__ == "__main__":
    main(sys.argv[1:])
