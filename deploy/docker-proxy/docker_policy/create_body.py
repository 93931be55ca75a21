"""The container-create allowlist: the launcher's hardened run container and nothing else.

What DockerRunLauncher sends (docker-py's `containers.create` with dagster.yaml's
container_kwargs) is the whole vocabulary: the project's image, its command and environment,
this stack's network, the approved named volumes, and the hardening, which is *required*:
every capability dropped, no-new-privileges, a read-only root, memory and pids limits.
Everything else must be absent (or Go's zero value, which is dropped).
"""

import re
from typing import Any

from . import values as v
from .gojson import Pairs, Refused, decode, encode, fields
from .settings import STACK_LABEL, Settings

_NO_NEW_PRIVS = {"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"}
_TMPFS_OPTION = re.compile(r"size=[0-9]+[kmg%]?|mode=[0-7]{3,4}|uid=[0-9]+|gid=[0-9]+|noexec|nosuid|nodev|ro|rw")
_PATH = r"/[A-Za-z0-9._/-]{0,254}"


def _cap_drop(value: Any, where: str) -> list[str]:
    caps = v.list_of(v.text(r"[A-Za-z_]{1,64}"), 64)(value, where) or []
    if not {c.upper().removeprefix("CAP_") for c in caps} & {"ALL"}:
        raise Refused(f"{where}: must drop ALL capabilities")
    return ["ALL"]


def _security_opt(value: Any, where: str) -> list[str]:
    opts = v.list_of(v.text(max_len=256), 16)(value, where) or []
    if not opts or any(o.strip().lower() not in _NO_NEW_PRIVS for o in opts):
        raise Refused(f"{where}: exactly no-new-privileges is required (no seccomp, AppArmor or label options)")
    return ["no-new-privileges:true"]


def _must_be_true(value: Any, where: str) -> bool:
    if value is not True:
        raise Refused(f"{where}: must be true")
    return True


def _tmpfs_path(value: Any, where: str) -> str:
    path = v.text(_PATH)(value, where)
    parts = path.split("/")[1:]
    if path == "/" or "" in parts or "." in parts or ".." in parts or parts[0] in ("proc", "sys", "dev"):
        raise Refused(f"{where}: tmpfs on {path!r} is not allowed")
    return path


def _tmpfs_options(value: Any, where: str) -> str:
    opts = v.text(max_len=256)(value, where)
    if opts and not all(_TMPFS_OPTION.fullmatch(o) for o in opts.split(",")):
        raise Refused(f"{where}: tmpfs options {opts!r} are not allowed")
    return opts


def _empty_object(value: Any, where: str) -> dict:
    fields(value, {}, where)
    return {}


def _label_key(value: Any, where: str) -> str:
    key = v.text(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,254}")(value, where)
    if key == STACK_LABEL or (key.startswith("com.docker.") and not key.startswith("com.docker.compose.")):
        raise Refused(f"{where}: label {key!r} is reserved")
    return key


def _labels(value: Any, where: str) -> dict[str, str]:
    labels = v.map_of(_label_key, v.text(max_len=1024), 64)(value, where) or {}
    for key, text in labels.items():
        # Blank compose labels keep compose from adopting a run container; a set one would
        # make it look like one of the stack's services.
        if key.startswith("com.docker.compose.") and text:
            raise Refused(f"{where}: label {key!r} may only be blanked")
    return labels


def _log_config(value: Any, where: str) -> dict:
    log = fields(
        value,
        {
            "Type": v.one_of("json-file", "local"),
            "Config": v.map_of(v.one_of("max-size", "max-file", "compress"), v.text(r"[0-9]{1,6}[kmg]?|true|false"), 3),
        },
        where,
    )
    return log or None


def _restart_policy(value: Any, where: str) -> None:
    fields(value, {"Name": v.one_of("", "no"), "MaximumRetryCount": v.integer(0, 0)}, where)


def check_create(body: bytes, settings: Settings) -> bytes:
    """The body to forward for a container create, rebuilt from the checked fields."""
    doc = decode(body)
    if not isinstance(doc, Pairs):
        raise Refused("body: expected a JSON object")

    def one_network(value: Any, where: str) -> str:
        return v.one_of(*settings.networks)(value, where)

    def bind(value: Any, where: str) -> str:
        spec = v.text(max_len=1024)(value, where)
        if spec not in settings.binds:
            raise Refused(f"{where}: {spec!r} is not an approved volume (DOCKER_POLICY_BINDS)")
        return spec

    def host_config(value: Any, where: str) -> dict:
        host = fields(
            value,
            {
                "Binds": v.list_of(bind, 16),
                "NetworkMode": one_network,
                "CapDrop": _cap_drop,
                "SecurityOpt": _security_opt,
                "ReadonlyRootfs": _must_be_true,
                "Memory": v.integer(1, settings.max_memory),
                "MemorySwap": v.integer(0, settings.max_memory),
                "PidsLimit": v.integer(1, settings.max_pids),
                "Tmpfs": v.map_of(_tmpfs_path, _tmpfs_options, 16),
                "LogConfig": _log_config,
                "AutoRemove": v.boolean,
                "RestartPolicy": _restart_policy,
                "Init": v.boolean,
                "ShmSize": v.integer(0, settings.max_memory),
                "NanoCpus": v.integer(0, 2**40),
                "CpuShares": v.integer(0, 262144),
                "CpuQuota": v.integer(0, 2**40),
                "CpuPeriod": v.integer(0, 1_000_000),
            },
            where,
        )
        for required in ("NetworkMode", "CapDrop", "SecurityOpt", "ReadonlyRootfs", "Memory", "PidsLimit"):
            if required not in host:
                raise Refused(f"{where}.{required} is required (the run containers' hardening)")
        if host.get("MemorySwap", host["Memory"]) != host["Memory"]:
            raise Refused(f"{where}.MemorySwap: must equal Memory (no swap beyond the limit)")
        return host

    top = fields(
        doc,
        {
            "Image": v.one_of(*settings.images),
            "Cmd": v.list_of(v.text(max_len=262144), 256),
            "Env": v.list_of(v.text(r"(?s)[A-Za-z_][A-Za-z0-9_.]*=.*", 65536), 1024),
            "Labels": _labels,
            "Tty": v.boolean,
            "OpenStdin": v.boolean,
            "StdinOnce": v.boolean,
            "AttachStdin": v.boolean,
            "AttachStdout": v.boolean,
            "AttachStderr": v.boolean,
            "NetworkDisabled": v.boolean,
            "Volumes": v.map_of(v.text(_PATH), _empty_object, 16),
            "StopSignal": v.text(r"(SIG)?[A-Z0-9+-]{1,16}|[0-9]{1,2}"),
            "StopTimeout": v.integer(0, 3600),
            "HostConfig": host_config,
            "NetworkingConfig": lambda value, where: _networking(value, where, one_network),
        },
        "body",
    )
    for required in ("Image", "HostConfig"):
        if required not in top:
            raise Refused(f"body.{required} is required")
    host = top["HostConfig"]
    targets = {spec.split(":")[1] for spec in host.get("Binds", []) if spec.count(":") >= 1}
    if set(top.get("Volumes", {})) - targets:
        raise Refused(f"body.Volumes: {sorted(set(top['Volumes']) - targets)} are not approved volume targets")
    top["Labels"] = {**top.get("Labels", {}), STACK_LABEL: settings.stack}
    return encode(top)


def _networking(value: Any, where: str, one_network) -> dict | None:
    net = fields(value, {"EndpointsConfig": v.map_of(one_network, _empty_object, 4)}, where)
    return net or None
