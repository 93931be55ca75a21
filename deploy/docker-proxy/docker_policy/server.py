"""The proxy's network side: asyncio on one thread, one request per client connection.

Each request is read whole (bounded), planned by `routes.plan`, its container or network
resolved on the engine (label and state checked there, not taken from the client), then the
rebuilt request is sent over the engine's socket and the answer streamed back. Every
decision is logged as one JSON line, so a refused call the launcher needs is easy to spot.
"""

import asyncio
import contextlib
import datetime
import json
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from .gojson import NotFound, Refused
from .http1 import MAX_HEAD, BadRequest, Request, parse_head
from .routes import CREATED_GRACE_SECONDS, STOPPED, Plan, plan, takes_body
from .settings import STACK_LABEL, Settings

# A request head must arrive within HEAD_TIMEOUT and its body within READ_TIMEOUT: a slow
# client cannot hold a connection slot for long. Each peer address holds at most PER_PEER
# slots, so one hostile client (a run container, for the housekeeping proxy) cannot take all.
HEAD_TIMEOUT = 5
READ_TIMEOUT = 30
CONNECT_TIMEOUT = 10
PER_PEER = 8


def log(**fields) -> None:
    """One JSON line per decision on stdout (the container's log)."""
    print(json.dumps({"ts": round(time.time(), 3), **fields}, separators=(",", ":")), flush=True)


def answer(status: int, message: str) -> bytes:
    """A complete JSON error response in the engine's format (docker-py shows `message`)."""
    body = json.dumps({"message": f"docker-proxy: {message}"}).encode()
    reason = {
        400: "Bad Request",
        403: "Forbidden",
        404: "Not Found",
        502: "Bad Gateway",
        503: "Service Unavailable",
    }.get(status, "Error")
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    return head.encode() + body


def _abandoned(info: dict) -> bool:
    """A container left `created` (never started) for longer than the grace period."""
    if (info.get("State") or {}).get("Status") != "created":
        return False
    created = str(info.get("Created", ""))
    try:
        # The engine writes nanoseconds ("...T10:01:02.123456789Z"); seconds are enough here.
        when = datetime.datetime.fromisoformat(created[:19] + "+00:00")
    except ValueError:
        return False
    return (datetime.datetime.now(datetime.UTC) - when).total_seconds() > CREATED_GRACE_SECONDS


class Proxy:
    """One policy proxy listening on `settings.port`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.slots = asyncio.Semaphore(settings.max_connections)
        self.per_peer: dict[str, int] = {}

    async def engine_get(self, path: str) -> tuple[int, dict | None]:
        """GET on the engine's socket (HTTP/1.0: a close-delimited, never chunked answer)."""
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(self.settings.socket), CONNECT_TIMEOUT)
        try:
            writer.write(f"GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
            raw = await asyncio.wait_for(reader.read(-1), READ_TIMEOUT)
        finally:
            writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, (json.loads(body) if status == 200 else None)

    async def resolve(self, call: Plan) -> tuple[str | None, str | None]:
        """Ids of the call's container and network, checked on the engine, or Refused."""
        prefix = call.path.split("/", 2)[1]
        container_id = network_id = None
        if call.network:
            status, info = await self.engine_get(f"/{prefix}/networks/{call.network}")
            if status != 200 or info.get("Name") not in self.settings.networks:
                raise NotFound(f"no such network: {call.network} (or not this stack's)")
            network_id = info["Id"]
        if call.container:
            status, info = await self.engine_get(f"/{prefix}/containers/{call.container}/json")
            labels = ((info or {}).get("Config") or {}).get("Labels") or {}
            if status != 200 or labels.get(STACK_LABEL) != self.settings.stack:
                # The same answer whether it exists or not: other stacks' containers stay invisible,
                # and the launcher takes a 404 for a run whose container is gone (run monitoring).
                raise NotFound(f"no such container: {call.container} (or not created by this stack's launcher)")
            state = (info.get("State") or {}).get("Status")
            if call.must_be_stopped and state not in STOPPED and not _abandoned(info):
                raise Refused(f"container {call.container!r} is {state}, not stopped")
            container_id = info["Id"]
        return container_id, network_id

    async def read_request(self, reader: asyncio.StreamReader) -> Request:
        """One whole request from the client, within the size and time bounds. Bytes that
        arrive with it beyond its body (a pipelined or smuggled second request) refuse it."""
        data = b""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HEAD_TIMEOUT
        while b"\r\n\r\n" not in data:
            if len(data) > MAX_HEAD:
                raise BadRequest(f"request head over {MAX_HEAD} bytes", 431)
            data += await self._read_some(reader, deadline)
        end = data.index(b"\r\n\r\n") + 4
        request, length = parse_head(data[:end])
        if length and not takes_body(request.method, request.path, self.settings.role):
            raise BadRequest(f"{request.method} {request.path[:100]} takes no body")
        deadline = loop.time() + READ_TIMEOUT
        body = data[end:]
        while len(body) < length:
            body += await self._read_some(reader, deadline)
        if len(body) > length:
            raise BadRequest("bytes beyond the declared body (a second request on the connection)")
        return Request(request.method, request.path, request.query, request.headers, body)

    @staticmethod
    async def _read_some(reader: asyncio.StreamReader, deadline: float) -> bytes:
        """The next bytes from the client; IncompleteReadError when it closed, TimeoutError
        past the deadline."""
        remaining = deadline - asyncio.get_running_loop().time()
        chunk = await asyncio.wait_for(reader.read(65536), max(remaining, 0))
        if not chunk:
            raise asyncio.IncompleteReadError(b"", None)
        return chunk

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client connection: one request, then close."""
        entry: dict = {"role": self.settings.role}
        peer = str((writer.get_extra_info("peername") or ("?",))[0])
        try:
            if self.slots.locked() or self.per_peer.get(peer, 0) >= PER_PEER:
                writer.write(answer(503, "too many connections"))
                entry.update(decision="refused", peer=peer, reason="too many connections")
                return
            self.per_peer[peer] = self.per_peer.get(peer, 0) + 1
            try:
                async with self.slots:
                    await self.serve(reader, writer, entry)
            finally:
                self.per_peer[peer] -= 1
                if not self.per_peer[peer]:
                    del self.per_peer[peer]
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
            entry.setdefault("decision", "dropped")
            entry["error"] = type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - one connection's bug must not go unlogged or leak it
            entry.setdefault("decision", "error")
            entry["error"] = repr(exc)[:300]
        finally:
            if "decision" in entry:
                log(**entry)
            try:
                with contextlib.suppress(ConnectionError, TimeoutError, RuntimeError):
                    await asyncio.wait_for(writer.drain(), READ_TIMEOUT)
                    # Half-close, then take in what the client still sends for a moment: closing
                    # with unread bytes would reset the connection before it reads the answer.
                    if writer.can_write_eof():
                        writer.write_eof()
                    await asyncio.wait_for(reader.read(MAX_HEAD), 0.2)
            finally:
                writer.close()

    async def serve(self, reader, writer, entry: dict) -> None:
        """Read, decide, forward, stream back."""
        try:
            request = await self.read_request(reader)
            entry.update(method=request.method, path=request.path[:200], query=request.query[:200])
            call = plan(request, self.settings)
            container_id, network_id = await self.resolve(call)
            outbound = call.render(container_id, network_id)
            engine_reader, engine_writer = await asyncio.wait_for(
                asyncio.open_unix_connection(self.settings.socket), CONNECT_TIMEOUT
            )
        except BadRequest as exc:
            writer.write(answer(exc.status, f"bad request ({exc})"))
            entry.update(decision="refused", status=exc.status, reason=str(exc))
            return
        except Refused as exc:
            status = 404 if isinstance(exc, NotFound) else 403
            writer.write(answer(status, f"refused ({exc})"))
            entry.update(decision="refused", status=status, reason=str(exc))
            return
        except (ConnectionError, TimeoutError):
            raise  # the client went away or was too slow: handled (logged) by handle()
        except (OSError, ValueError) as exc:
            # The engine's socket is missing or refuses us, or answered something unreadable.
            writer.write(answer(502, f"Docker engine unreachable ({type(exc).__name__})"))
            entry.update(decision="failed", status=502, reason=f"engine: {exc}")
            return
        entry.update(decision="allowed", call=call.name)
        try:
            engine_writer.write(outbound)
            await engine_writer.drain()
            await self.stream_back(reader, engine_reader, writer, entry)
        finally:
            engine_writer.close()

    async def stream_back(self, client_reader, engine_reader, writer, entry: dict) -> None:
        """Copy the engine's answer to the client until the engine closes or the client drops
        the connection (a reset; a half-close after its request still gets the whole answer)."""
        watch: asyncio.Future | None = asyncio.ensure_future(client_reader.read(1))
        first = True
        try:
            while True:
                chunk_task = asyncio.ensure_future(engine_reader.read(65536))
                while watch is not None and not chunk_task.done():
                    done, _ = await asyncio.wait({chunk_task, watch}, return_when=asyncio.FIRST_COMPLETED)
                    if watch in done:
                        if watch.exception() is not None:
                            chunk_task.cancel()
                            entry["error"] = "client closed"
                            return
                        watch = None  # EOF or stray bytes: nothing more to watch for
                chunk = await chunk_task
                if not chunk:
                    return
                if first:
                    entry["status"] = int(chunk.split(b" ", 2)[1]) if chunk.startswith(b"HTTP/") else None
                    first = False
                writer.write(chunk)
                await writer.drain()
        finally:
            if watch is not None:
                # Wait for the cancelled read to end: the stream allows one reader at a time.
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await watch


async def serve_forever(settings: Settings) -> None:
    """Listen until SIGTERM or SIGINT, then stop accepting and exit cleanly."""
    loop = asyncio.get_running_loop()
    # The only thread besides the loop (address lookup of the bind address): a fixed bound,
    # whatever the host's CPU count, so the proxy fits any pids limit.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    proxy = Proxy(settings)
    server = await asyncio.start_server(proxy.handle, "0.0.0.0", settings.port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log(role=settings.role, event="listening", port=settings.port, stack=settings.stack)
    await stop.wait()
    server.close()
    log(role=settings.role, event="stopped")


def main(argv: list[str]) -> None:
    """`python -m docker_policy <launcher|housekeeping>`."""
    if len(argv) != 1:
        raise SystemExit("usage: python -m docker_policy launcher|housekeeping")
    asyncio.run(serve_forever(Settings.from_env(argv[0])))


if __name__ == "__main__":
    main(sys.argv[1:])
