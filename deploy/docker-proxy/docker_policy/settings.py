"""What a proxy allows, from its environment (set per service in docker-compose.yml)."""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

ROLES = ("launcher", "housekeeping")
# The label every container created through this proxy carries, set by the proxy itself
# (a client cannot): lifecycle calls are allowed only on containers carrying this stack's.
STACK_LABEL = "io.dagster-platform.stack"
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def _size(text: str, name: str) -> int:
    match = re.fullmatch(r"([0-9]+)([kmg]?)", text.strip().lower())
    if not match:
        raise SystemExit(f"docker-proxy: {name}={text!r} is not a size like 2g or 512m")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _words(text: str) -> frozenset[str]:
    return frozenset(w.strip() for w in text.split(",") if w.strip())


@dataclass(frozen=True)
class Settings:
    """The allowlist's parameters for one proxy."""

    role: str
    stack: str
    images: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()
    binds: frozenset[str] = frozenset()
    max_memory: int = 8 * 1024**3
    max_pids: int = 4096
    socket: str = "/var/run/docker.sock"
    port: int = 2375
    max_connections: int = 64

    @classmethod
    def from_env(cls, role: str, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Read DOCKER_POLICY_* variables; a missing required one stops the proxy by name."""
        if role not in ROLES:
            raise SystemExit(f"docker-proxy: role must be one of {ROLES}, not {role!r}")

        def need(name: str) -> str:
            value = environ.get(name, "").strip()
            if not value:
                raise SystemExit(f"docker-proxy: {name} is required (see docker-compose.yml)")
            return value

        return cls(
            role=role,
            stack=need("DOCKER_POLICY_STACK"),
            images=_words(need("DOCKER_POLICY_IMAGES")) if role == "launcher" else frozenset(),
            networks=_words(need("DOCKER_POLICY_NETWORKS")),
            # DEV_BINDS: the dev override's live-reload mount, named apart so prod never has it.
            binds=_words(environ.get("DOCKER_POLICY_BINDS", "")) | _words(environ.get("DOCKER_POLICY_DEV_BINDS", "")),
            max_memory=_size(environ.get("DOCKER_POLICY_MAX_MEMORY", "8g"), "DOCKER_POLICY_MAX_MEMORY"),
            max_pids=_size(environ.get("DOCKER_POLICY_MAX_PIDS", "4096"), "DOCKER_POLICY_MAX_PIDS"),
            socket=environ.get("DOCKER_POLICY_SOCKET", "/var/run/docker.sock"),
        )
