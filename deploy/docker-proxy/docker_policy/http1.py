"""HTTP/1.1 requests parsed strictly: one reading only, or a refusal.

The proxy never forwards the client's bytes, so the parser only has to be unambiguous about
what the client asked for: no HTTP/2 or HTTP/1.0, no chunked bodies, no header folding, bare
line feeds, repeated Content-Length or Host, upgrades or Expect, and bounded sizes.
"""

import re
from dataclasses import dataclass

MAX_HEAD = 16 * 1024
MAX_BODY = 256 * 1024
MAX_HEADERS = 64
_REQUEST_LINE = re.compile(rb"(GET|HEAD|POST|PUT|DELETE) (/[\x21-\x7e]*) HTTP/1\.1")
# Name and raw value split at the first colon, the value checked on its own: a pattern with
# adjacent optional-space runs backtracks cubically on a line of spaces ending in a bad byte.
_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):(.*)")
_HEADER_VALUE = re.compile(rb"[\x20-\x7e\t]*")
_SINGLE = ("host", "content-length", "content-type")


class BadRequest(Exception):  # noqa: N818 - named after the HTTP status it becomes
    """A request that is not plain, unambiguous HTTP/1.1 (answered 400, or the given status)."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Request:
    """What the client asked for: method, path and raw query (split at the first `?`),
    headers (names lower-cased) and body."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = b""


def parse_head(head: bytes) -> tuple[Request, int]:
    """Parse a request head (up to and including the blank line); return it and the body length."""
    if len(head) > MAX_HEAD:
        raise BadRequest(f"request head over {MAX_HEAD} bytes", 431)
    if not head.endswith(b"\r\n\r\n"):
        raise BadRequest("request head not terminated by CRLF CRLF")
    lines = head[:-4].split(b"\r\n")
    if any(b"\n" in line or b"\r" in line for line in lines):
        raise BadRequest("bare CR or LF in the request head")
    match = _REQUEST_LINE.fullmatch(lines[0])
    if not match:
        raise BadRequest("request line is not `METHOD /path HTTP/1.1`", 505 if b"HTTP/" in lines[0] else 400)
    if len(lines) - 1 > MAX_HEADERS:
        raise BadRequest(f"more than {MAX_HEADERS} headers", 431)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        header = _HEADER.fullmatch(line)
        raw_value = header.group(2).strip(b" \t") if header else b""
        if not header or not _HEADER_VALUE.fullmatch(raw_value):
            raise BadRequest("malformed header line (folded, a space before the colon, or a control byte)")
        name, value = header.group(1).decode().lower(), raw_value.decode()
        if name in _SINGLE and name in headers:
            raise BadRequest(f"repeated {name} header")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    if "transfer-encoding" in headers:
        raise BadRequest("Transfer-Encoding is not accepted: send Content-Length", 411)
    if "upgrade" in headers or "expect" in headers or "http2-settings" in headers:
        raise BadRequest("Upgrade and Expect are not accepted")
    length_text = headers.get("content-length", "0")
    if not re.fullmatch(r"[0-9]{1,7}", length_text):
        raise BadRequest("Content-Length is not a plain number")
    length = int(length_text)
    if length > MAX_BODY:
        raise BadRequest(f"body over {MAX_BODY} bytes", 413)
    target = match.group(2).decode("ascii")
    path, _, query = target.partition("?")
    method = match.group(1).decode()
    if method in ("GET", "HEAD", "DELETE") and length:
        raise BadRequest(f"a body on {method}")
    return Request(method, path, query, headers), length


def parse_request(raw: bytes) -> Request:
    """Parse one whole request; bytes beyond its body (a second, smuggled request) are refused."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        raise BadRequest("incomplete request head")
    request, length = parse_head(raw[: end + 4])
    body = raw[end + 4 :]
    if len(body) != length:
        raise BadRequest(f"body is {len(body)} bytes, Content-Length says {length}")
    return Request(request.method, request.path, request.query, request.headers, body)
