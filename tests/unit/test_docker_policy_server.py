"""The policy proxy's network side, in-process on a loopback port (no Docker needed): what it
answers on the wire before any engine is involved, and that it answers at all when the
engine's socket is missing. What reaches a real engine is the stack tier's part."""

import asyncio
import contextlib
import datetime
import json

import pytest
from docker_attacks import RAW_BODY
from docker_requests import LAUNCHER, create, http

from docker_policy.routes import CREATED_GRACE_SECONDS
from docker_policy.server import PER_PEER, Proxy, _abandoned


async def exchange(raw: bytes, tmp_path) -> bytes:
    """Send `raw` to a fresh proxy whose engine socket does not exist; return its answer."""
    settings = type(LAUNCHER)(**{**LAUNCHER.__dict__, "socket": str(tmp_path / "no-engine.sock")})
    server = await asyncio.start_server(Proxy(settings).handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        await writer.drain()
        with contextlib.suppress(ConnectionError):
            writer.write_eof()
        answer = await asyncio.wait_for(reader.read(-1), 10)
        writer.close()
        return answer
    finally:
        server.close()
        await server.wait_closed()


CASES = {
    "a second request behind the body": (create(RAW_BODY) + http("POST", "/v1.41/containers/x/start"), 400),
    "HTTP/2 preface": (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    "chunked": (http("POST", "/v1.41/containers/create", headers=("Transfer-Encoding: chunked",)), 411),
    "oversized head": (b"GET /_ping HTTP/1.1\r\nX-Pad: " + b"a" * 70000 + b"\r\n\r\n", 431),
    "off the allowlist": (http("POST", "/v1.41/containers/x/exec"), 403),
    "a body where the call takes none (refused before it is read)": (
        http("POST", "/v1.41/containers/x/exec", b"{}"),
        400,
    ),
    "a header line of spaces ending in a control byte": (
        b"GET /_ping HTTP/1.1\r\nX:" + b" " * 15000 + b"\x01\r\n\r\n",
        400,
    ),
    "allowed, engine missing": (http("GET", "/_ping"), 502),
}


@pytest.mark.parametrize("name", list(CASES))
def test_answers_on_the_wire(name, tmp_path):
    """Each request gets a complete HTTP answer with the expected status and a JSON reason."""
    raw, status = CASES[name]
    answer = asyncio.run(exchange(raw, tmp_path))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]
    assert json.loads(body)["message"].startswith("docker-proxy: ")


def test_one_peer_cannot_take_every_slot(tmp_path):
    """Idle connections from one address beyond its share get 503 at once; the held ones are
    released by the head deadline, not kept for the client's convenience."""

    async def scenario() -> bytes:
        settings = type(LAUNCHER)(**{**LAUNCHER.__dict__, "socket": str(tmp_path / "no-engine.sock")})
        server = await asyncio.start_server(Proxy(settings).handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(PER_PEER)]
        await asyncio.sleep(0.2)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(http("GET", "/_ping"))
        answer = await asyncio.wait_for(reader.read(-1), 5)
        for _, w in [*held, (reader, writer)]:
            w.close()
        server.close()
        await server.wait_closed()
        return answer

    assert asyncio.run(scenario()).startswith(b"HTTP/1.1 503 ")


def test_only_long_abandoned_created_containers_count_as_stopped():
    """Housekeeping may remove a never-started container only after the grace period (else a
    run container could delete each new run's container between its create and start)."""
    now = datetime.datetime.now(datetime.UTC)
    stamp = lambda age: (now - datetime.timedelta(seconds=age)).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")  # noqa: E731
    assert not _abandoned({"State": {"Status": "created"}, "Created": stamp(60)})
    assert _abandoned({"State": {"Status": "created"}, "Created": stamp(CREATED_GRACE_SECONDS + 60)})
    assert not _abandoned({"State": {"Status": "running"}, "Created": stamp(10**6)})
    assert not _abandoned({"State": {"Status": "created"}, "Created": "garbage"})


def test_an_allowed_call_streams_the_whole_answer_and_closes(tmp_path):
    """An allowed call is answered with everything the engine sent, and the connection ends
    when the engine's answer does. The engine here is a few lines on a unix socket standing in
    for the Docker engine in the unit tier (the stack tier runs the real one): it reads the
    rebuilt request, then answers in pieces and closes, as the engine does for streams."""
    seen: list[bytes] = []

    async def engine(reader, writer):
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
        for part in (b"OK", b"-and-", b"more"):
            await asyncio.sleep(0.05)
            writer.write(part)
            await writer.drain()
        writer.close()

    async def scenario() -> bytes:
        socket_path = str(tmp_path / "engine.sock")
        engine_server = await asyncio.start_unix_server(engine, socket_path)
        settings = type(LAUNCHER)(**{**LAUNCHER.__dict__, "socket": socket_path})
        server = await asyncio.start_server(Proxy(settings).handle, "127.0.0.1", 0)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        writer.write(http("GET", "/_ping", headers=("User-Agent: x\r\nX-Evil: 1",)))
        answer = await asyncio.wait_for(reader.read(-1), 5)
        writer.close()
        for s in (server, engine_server):
            s.close()
            await s.wait_closed()
        return answer

    answer = asyncio.run(scenario())
    assert answer.endswith(b"\r\n\r\nOK-and-more"), answer
    assert seen == [b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"], seen
