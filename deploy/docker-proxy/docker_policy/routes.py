"""Which Docker API calls each role may make, and the request the proxy sends for each.

`launcher` (daemon, webserver, tools): exactly what DockerRunLauncher, run monitoring,
termination and the doctor call through docker-py. `housekeeping` (the housekeeping run):
list this stack's run containers and remove stopped ones. Paths carry one API version
prefix from SUPPORTED_API (only `/_ping` and `/version` may omit it, for version
negotiation); ids and names are plain words, so no encoding or dot segment can reach
another endpoint. Calls on a container or network name it by `target`: the server resolves
it on the engine first and forwards the call with the resolved id, only for containers
carrying this stack's label (and networks of this stack).
"""

import json
import re
import urllib.parse
from dataclasses import dataclass, field

from . import values as v
from .create_body import check_create
from .gojson import Pairs, Refused, decode, encode, fields
from .http1 import Request
from .settings import STACK_LABEL, Settings

# Engine 20.10 speaks 1.41; 1.53 is the newest this policy was written against. Older
# versions change what some endpoints accept (before 1.24 `start` took a HostConfig body).
SUPPORTED_API = (41, 53)
_VERSIONED = re.compile(r"/v1\.([0-9]{1,2})(/.*)")
_WORD = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"
_RAW_QUERY = re.compile(r"(?:[A-Za-z0-9._~+=&-]|%[0-9A-Fa-f]{2})*")
_FALSE = {"", "0", "no", "false", "none"}
_TRUE = {"1", "yes", "true"}
STOPPED = ("exited", "dead")
# A container still `created` may be one the launcher is about to start: removable only once
# it has been left unstarted this long (a launch that failed between create and start).
CREATED_GRACE_SECONDS = 900


def takes_body(method: str, path: str, role: str) -> bool:
    """Whether a call may carry a body (decided from the head, before the body is read):
    only the launcher's container create and network connect do."""
    if role != "launcher" or method != "POST":
        return False
    return path.endswith(("/containers/create", "/connect"))


@dataclass
class Plan:
    """An approved call: what to send once `target` (a container or network) is resolved."""

    name: str
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    container: str | None = None
    network: str | None = None
    must_be_stopped: bool = False
    connect_body: bool = False

    def render(self, container_id: str | None = None, network_id: str | None = None) -> bytes:
        """The request bytes for the engine, ids filled in from the engine's own answer."""
        path = self.path.format(container=container_id, network=network_id)
        body = self.body
        if self.connect_body:
            body = encode({"Container": container_id, "EndpointConfig": {}})
        query = ("?" + urllib.parse.urlencode(self.query)) if self.query else ""
        head = [f"{self.method} {path}{query} HTTP/1.1", "Host: docker", "Connection: close"]
        if body or self.method in ("POST", "PUT"):
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


def _bool(value: str, where: str) -> str:
    if value.lower() in _FALSE:
        return "0"
    if value.lower() in _TRUE:
        return "1"
    raise Refused(f"{where}: {value!r} is not a boolean")


def _false(value: str, where: str) -> str:
    if _bool(value, where) != "0":
        raise Refused(f"{where}: must be false")
    return "0"


def _int(low: int, high: int, *words: str):
    def check(value: str, where: str) -> str:
        if value in words:
            return value
        if not re.fullmatch(r"-?[0-9]{1,12}", value) or not low <= int(value) <= high:
            raise Refused(f"{where}: {value!r} is not an integer in [{low}, {high}]")
        return str(int(value))

    return check


def _choice(*allowed: str):
    def check(value: str, where: str) -> str:
        if value not in allowed:
            raise Refused(f"{where}: {value!r} is not one of {list(allowed)}")
        return value

    return check


def parse_query(raw: str, allowed: dict) -> dict[str, str]:
    """Decode a query string strictly: known names, each once, plain percent-encoding."""
    if not raw:
        return {}
    if not _RAW_QUERY.fullmatch(raw):
        raise Refused("query: characters outside plain percent-encoding")
    out: dict[str, str] = {}
    for part in raw.split("&"):
        name, _, value = part.partition("=")
        try:
            name = urllib.parse.unquote_plus(name, errors="strict")
            value = urllib.parse.unquote_plus(value, errors="strict")
        except UnicodeDecodeError:
            raise Refused("query: not UTF-8") from None
        if name not in allowed:
            raise Refused(f"query parameter {name!r} is not allowed here")
        if name in out:
            raise Refused(f"query parameter {name!r} repeated")
        out[name] = allowed[name](value, f"query {name}")
    return out


def _filters(settings: Settings):
    """`filters` of a container list: this stack's label is always added, so a client only
    ever sees this stack's containers."""

    def check(value: str, where: str) -> str:
        doc = decode(value.encode("utf-8"))
        word_list = v.list_of(v.text(r"[A-Za-z0-9][A-Za-z0-9_.:=/-]{0,255}"), 16)
        known = dict.fromkeys(("label", "network", "status", "id", "name"), word_list)
        if not isinstance(doc, Pairs) or len({k for k, _ in doc}) != len(doc) or any(k not in known for k, _ in doc):
            raise Refused(f"{where}: only {sorted(known)} filters, each once")
        out = {key: word_list(item, f"{where}.{key}") for key, item in doc}
        out = {k: vals for k, vals in out.items() if vals}
        out["label"] = [*out.get("label", []), f"{STACK_LABEL}={settings.stack}"]
        return json.dumps(out, separators=(",", ":"))

    return check


def _list_query(settings: Settings) -> dict:
    # No `size`: it makes the engine walk every container's files on disk.
    return {"all": _bool, "limit": _int(-1, 10000), "size": _false, "trunc_cmd": _bool, "filters": _filters(settings)}


def _connect_body(request: Request) -> str:
    doc = decode(request.body)
    body = fields(doc, {"Container": v.text(_WORD), "EndpointConfig": _endpoint}, "body")
    if "Container" not in body:
        raise Refused("body.Container is required")
    return body["Container"]


def _endpoint(value, where: str) -> None:
    # No aliases, addresses or links: a run container must not answer for a service's name.
    fields(value, {}, where)


def plan(request: Request, settings: Settings) -> Plan:
    """The call to forward for `request`, or Refused with the reason."""
    if request.body and not takes_body(request.method, request.path, settings.role):
        raise Refused(f"{request.method} {request.path[:100]} takes no body")
    if request.method == "GET" and request.path in ("/_ping", "/version"):
        parse_query(request.query, {})
        return Plan(request.path, "GET", request.path)
    match = _VERSIONED.fullmatch(request.path)
    if not match:
        raise Refused("path: expected /v1.NN/... (or /_ping, /version)")
    minor, rest = int(match.group(1)), match.group(2)
    if not SUPPORTED_API[0] <= minor <= SUPPORTED_API[1]:
        raise Refused(f"API version 1.{minor} is outside 1.{SUPPORTED_API[0]}-1.{SUPPORTED_API[1]}")
    prefix = f"/v1.{minor}"
    method, launcher = request.method, settings.role == "launcher"

    def q(allowed: dict) -> dict[str, str]:
        return parse_query(request.query, allowed)

    if method == "GET" and rest in ("/_ping", "/version"):
        q({})
        return Plan(rest, "GET", prefix + rest)
    if method == "GET" and rest == "/containers/json":
        query = q(_list_query(settings))
        query.setdefault("filters", _filters(settings)("{}", "filters"))
        return Plan("list", "GET", prefix + rest, query)
    if launcher and method == "POST" and rest == "/containers/create":
        q({})
        return Plan("create", "POST", prefix + rest, body=check_create(request.body, settings))

    one = re.fullmatch(rf"/containers/({_WORD})(/[a-z]+)?", rest)
    if one:
        target, action = one.group(1), one.group(2) or ""
        path = prefix + "/containers/{container}" + action
        if launcher and method == "GET" and action == "/json":
            return Plan("inspect", "GET", path, q({"size": _false}), container=target)
        if launcher and method == "GET" and action == "/logs":
            allowed = dict.fromkeys(("stdout", "stderr", "timestamps", "follow"), _bool)
            allowed |= {"tail": _int(0, 10**9, "all"), "since": _int(0, 2**40), "until": _int(0, 2**40)}
            return Plan("logs", "GET", path, q(allowed), container=target)
        if launcher and method == "POST" and action == "/start":
            return Plan("start", "POST", path, q({}), container=target)
        if launcher and method == "POST" and action == "/stop":
            return Plan("stop", "POST", path, q({"t": _int(0, 3600)}), container=target)
        if launcher and method == "POST" and action == "/wait":
            return Plan("wait", "POST", path, q({"condition": _choice("not-running", "next-exit")}), container=target)
        if not launcher and method == "DELETE" and action == "":
            q({"v": _false, "force": _false, "link": _false})
            return Plan("remove", "DELETE", path, container=target, must_be_stopped=True)

    net = re.fullmatch(rf"/networks/({_WORD})(/connect)?", rest)
    if launcher and net:
        path = prefix + "/networks/{network}" + (net.group(2) or "")
        if method == "GET" and not net.group(2):
            return Plan("network inspect", "GET", path, q({"verbose": _false}), network=net.group(1))
        if method == "POST" and net.group(2):
            q({})
            container = _connect_body(request)
            return Plan("network connect", "POST", path, container=container, network=net.group(1), connect_body=True)

    raise Refused(f"{method} {rest} is not on the {settings.role} allowlist")
