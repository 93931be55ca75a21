"""Benchmark: what the running platform costs while it waits for work.

Prints, for each container of a compose project and in total, the CPU used over a window
(cgroup CPU time from the Docker Engine API, as % of one core) and the memory in use at the
end of it, plus the size of the project image. Each container's CPU is split into its
long-running processes (the server, its workers) and what is left: processes that came and
went inside the window, i.e. the healthcheck probes (each a `docker exec`) and anything else
the service spawns. Run it on the Docker host against a stack that is up and idle:

    python scripts/benchmark_idle.py --project dagster-platform --window 60

Figures only: it asserts nothing about them (machines differ). It talks to the Engine API
over the Docker socket (DOCKER_HOST=unix://... or the default path) with the standard
library, so it needs no Docker SDK and works wherever `docker` does. The per-process split
reads the host's /proc (the engine reports each container's processes by host pid); where the
engine runs in a VM (Docker Desktop) only the per-container figures are printed.
"""

import argparse
import http.client
import json
import os
import socket
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any


class EngineError(RuntimeError):
    """The Docker Engine API answered with an error (e.g. the container is gone)."""


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=60)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self._path)


def engine(path: str) -> Any:
    """GET an Engine API path; return the decoded JSON."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        sys.exit(f"benchmark_idle: only unix:// DOCKER_HOST is supported, not {host}")
    conn = _UnixHTTPConnection(host.removeprefix("unix://"))
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise EngineError(f"{path} answered {response.status}: {body[:200]!r}")
    return json.loads(body)


def project_containers(project: str) -> dict[str, str]:
    """Running service containers of the compose project (not one-off `run`s): service -> id."""
    label = json.dumps({"label": [f"com.docker.compose.project={project}"], "status": ["running"]})
    found = engine("/containers/json?filters=" + urllib.parse.quote(label))
    return {
        c["Labels"]["com.docker.compose.service"]: c["Id"]
        for c in found
        if c["Labels"].get("com.docker.compose.oneoff") != "True"
    }


def cpu_seconds(container_id: str) -> float:
    """Total CPU time the container's cgroup has used, in seconds."""
    stats = engine(f"/containers/{container_id}/stats?stream=false&one-shot=true")
    return stats["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9


# /proc/PID/stat counts CPU in clock ticks.
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def processes(container_id: str) -> dict[tuple[int, int], tuple[float, str]]:
    """(host pid, start time) -> (CPU seconds used so far, command line) of each process in the
    container, read from the host's /proc; empty where that /proc does not show them."""
    top = engine(f"/containers/{container_id}/top")
    pid_col, cmd_col = top["Titles"].index("PID"), top["Titles"].index("CMD")
    found = {}
    for row in top["Processes"]:
        try:
            stat = Path(f"/proc/{row[pid_col]}/stat").read_text()
        except OSError:
            continue  # exited since, or not visible from here
        # Fields after the command (which may hold spaces) start at its closing parenthesis.
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        found[(int(row[pid_col]), int(fields[19]))] = (used, row[cmd_col])
    return found


def split_by_process(
    before: dict[tuple[int, int], tuple[float, str]],
    after: dict[tuple[int, int], tuple[float, str]],
    container_seconds: float,
) -> tuple[list[tuple[float, str]], float]:
    """CPU seconds of each process alive at both ends of the window (a pid reused in between
    has another start time), and what is left of the container's: short-lived processes."""
    kept = [(after[key][0] - before[key][0], after[key][1]) for key in after.keys() & before.keys()]
    kept.sort(reverse=True)
    return kept, max(0.0, container_seconds - sum(used for used, _ in kept))


def memory_mib(container_id: str) -> float:
    """Memory in use as `docker stats` counts it (usage minus reclaimable page cache)."""
    memory = engine(f"/containers/{container_id}/stats?stream=false&one-shot=true")["memory_stats"]
    inner = memory.get("stats", {})
    cache = inner.get("inactive_file", inner.get("total_inactive_file", inner.get("cache", 0)))
    return (memory.get("usage", 0) - cache) / 2**20


def main(argv: list[str]) -> int:
    """Sample CPU time twice, `window` seconds apart; print per-container and total figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", required=True, help="compose project name (COMPOSE_PROJECT_NAME)")
    parser.add_argument("--window", type=float, default=60, help="seconds of idle time to measure")
    parser.add_argument(
        "--image", action="append", default=[], help="image whose size to print (e.g. DAGSTER_IMAGE); repeatable"
    )
    args = parser.parse_args(argv)

    containers = project_containers(args.project)
    if not containers:
        sys.exit(f"benchmark_idle: no running containers in compose project {args.project!r}")
    procs_before = {name: processes(cid) for name, cid in containers.items()}
    before = {name: cpu_seconds(cid) for name, cid in containers.items()}
    started = time.monotonic()
    time.sleep(args.window)
    elapsed = time.monotonic() - started
    after = {name: cpu_seconds(cid) for name, cid in containers.items()}
    procs_after = {name: processes(cid) for name, cid in containers.items()}

    total_cpu = total_mem = 0.0
    for name in sorted(containers):
        share = 100 * (after[name] - before[name]) / elapsed
        mem = memory_mib(containers[name])
        total_cpu, total_mem = total_cpu + share, total_mem + mem
        print(f"[figure] idle {name}: CPU {share:.1f} % of a core, memory {mem:.0f} MiB")
        if procs_before[name] and procs_after[name]:
            kept, short_lived = split_by_process(procs_before[name], procs_after[name], after[name] - before[name])
            for used, command in kept:
                print(f"[figure] idle {name} process `{command[:80]}`: CPU {100 * used / elapsed:.1f} % of a core")
            print(
                f"[figure] idle {name} probes and other short-lived processes: "
                f"CPU {100 * short_lived / elapsed:.1f} % of a core"
            )
    print(
        f"[figure] idle stack ({len(containers)} containers, {elapsed:.0f} s window): "
        f"CPU {total_cpu:.1f} % of a core, memory {total_mem:.0f} MiB"
    )
    for image in args.image:
        size = engine(f"/images/{urllib.parse.quote(image, safe='')}/json")["Size"]
        print(f"[figure] image {image}: {size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
