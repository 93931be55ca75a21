"""A corpus of hostile Docker API requests against the policy proxy, shared by the unit tier
(decided in-process) and the stack tier (sent to the live proxy, judged on the engine).

Every request is one a client of `docker-proxy` could send: the launcher's own create body
with a dangerous setting spelled past a naive reader, ambiguous JSON or HTTP, calls off the
allowlist, old API versions. None may be forwarded with its danger intact."""

import copy
import json

from docker_requests import API, IMAGE, NETWORK, WAREHOUSE_BIND, create, http, launcher_create_body

BASE = launcher_create_body()


def with_host(**extra) -> dict:
    """The launcher's body with HostConfig keys added or replaced."""
    body = copy.deepcopy(BASE)
    body["HostConfig"].update(extra)
    return body


def without_host(key: str) -> dict:
    """The launcher's body without one HostConfig key."""
    body = copy.deepcopy(BASE)
    del body["HostConfig"][key]
    return body


def raw_host(fragment: str) -> str:
    """The launcher's body as text with a raw JSON fragment spliced into HostConfig (for
    spellings json.dumps cannot produce: escapes, duplicates, odd types)."""
    text = json.dumps(BASE)
    return text.replace('"HostConfig": {', '"HostConfig": {' + fragment + ", ", 1)


def raw_host_end(fragment: str) -> str:
    """Like raw_host, with the fragment last in HostConfig (where Go's last-wins reads it)."""
    text = json.dumps(BASE)
    head, sep, tail = text.partition('"HostConfig": {')
    inner_end = tail.index("}, ", tail.index('"PidsLimit"'))
    return head + sep + tail[:inner_end] + ", " + fragment + tail[inner_end:]


def spellings(name: str) -> list[str]:
    """Ways to write a key that Go's decoder matches to `name`: case, Unicode folding
    (U+017F for s, the Kelvin sign for k), \\u escapes of either."""
    out = {name.lower(), name.upper()}
    if "s" in name.lower():
        out.add(name.lower().replace("s", "\u017f"))
        out.add(name.replace("s", "\\u017f").replace("S", "\\u017f"))
    if "k" in name.lower():
        out.add(name.lower().replace("k", "\u212a"))
        out.add(name.lower().replace("k", "\\u212a"))
    out.add("".join(f"\\u{ord(c):04x}" for c in name))
    return sorted(out)


DANGEROUS = {
    "Binds": '["/:/host"]',
    "VolumesFrom": '["docker-proxy"]',
    "Devices": '[{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]',
    "DeviceCgroupRules": '["b *:* rwm"]',
    "DeviceRequests": '[{"Count": -1}]',
    "NetworkMode": '"host"',
    "PidMode": '"host"',
    "IpcMode": '"host"',
    "UTSMode": '"host"',
    "UsernsMode": '"host"',
    "CgroupnsMode": '"host"',
    "Privileged": "true",
    "CapAdd": '["SYS_ADMIN"]',
    "Mounts": '[{"Type": "bind", "Source": "/", "Target": "/host"}]',
    "SecurityOpt": '["seccomp=unconfined"]',
    "MaskedPaths": "[]",
    "ReadonlyPaths": "[]",
    "Sysctls": '{"kernel.core_pattern": "|/tmp/x"}',
    "PortBindings": '{"22/tcp": [{"HostIp": "0.0.0.0", "HostPort": "2222"}]}',
    "CgroupParent": '"/"',
    "Runtime": '"runc-debug"',
    "OomScoreAdj": "-1000",
}
SPELLED = [(field, key) for field in DANGEROUS for key in [field, *spellings(field)]]


HOSTILE_BODIES = {
    "scalar CapAdd": with_host(CapAdd="ALL"),
    "CapDrop empty": with_host(CapDrop=[]),
    "CapDrop scalar": with_host(CapDrop="ALL"),
    "CapDrop other": with_host(CapDrop=["NET_RAW"]),
    "no-new-privileges false": with_host(SecurityOpt=["no-new-privileges:false"]),
    "no-new-privileges plus apparmor": with_host(SecurityOpt=["no-new-privileges:true", "apparmor=unconfined"]),
    "label disable": with_host(SecurityOpt=["no-new-privileges:true", "label=disable"]),
    "writable root": with_host(ReadonlyRootfs=False),
    "root as 1": with_host(ReadonlyRootfs=1),
    "memory zero": with_host(Memory=0),
    "memory as string": with_host(Memory="2g"),
    "memory as float": with_host(Memory=2147483648.0),
    "memory huge": with_host(Memory=2**62),
    "unlimited swap": with_host(MemorySwap=-1),
    "pids unlimited": with_host(PidsLimit=-1),
    "pids as bool": with_host(PidsLimit=True),
    "privileged as 1": with_host(Privileged=1),
    "privileged as string": with_host(Privileged="true"),
    "host bind": with_host(Binds=["/:/host"]),
    "approved plus host bind": with_host(Binds=[WAREHOUSE_BIND, "/:/host:ro"]),
    "socket bind": with_host(Binds=["/var/run/docker.sock:/var/run/docker.sock"]),
    "bind scalar": with_host(Binds=WAREHOUSE_BIND),
    "bind nested": with_host(Binds=[[WAREHOUSE_BIND, "/:/host"]]),
    "bind with extra option": with_host(Binds=[WAREHOUSE_BIND + ":rw,z"]),
    "bind of approved volume elsewhere": with_host(Binds=["dagster_platform_warehouse:/etc"]),
    "other volume": with_host(Binds=["postgres-data:/var/lib/postgresql/data"]),
    "volume driver options": with_host(VolumeDriver="local"),
    "tmpfs on /proc": with_host(Tmpfs={"/proc": ""}),
    "tmpfs on /sys/fs": with_host(Tmpfs={"/sys/fs/cgroup": "rw"}),
    "tmpfs suid exec": with_host(Tmpfs={"/tmp": "exec,suid"}),
    "tmpfs dot segment": with_host(Tmpfs={"/tmp/../proc": ""}),
    "network host": with_host(NetworkMode="host"),
    "network container": with_host(NetworkMode="container:dagster-platform-postgres-1"),
    "network bridge": with_host(NetworkMode="bridge"),
    "no network mode": without_host("NetworkMode"),
    "no cap drop": without_host("CapDrop"),
    "no security opt": without_host("SecurityOpt"),
    "no read-only root": without_host("ReadonlyRootfs"),
    "no memory limit": without_host("Memory"),
    "no pids limit": without_host("PidsLimit"),
    "restart always": with_host(RestartPolicy={"Name": "always"}),
    "log driver syslog": with_host(LogConfig={"Type": "syslog", "Config": {"syslog-address": "udp://1.2.3.4:514"}}),
    "extra hosts": with_host(ExtraHosts=["postgres:10.0.0.9"]),
    "dns": with_host(Dns=["10.0.0.9"]),
    "ulimits": with_host(Ulimits=[{"Name": "nofile", "Soft": 1048576, "Hard": 1048576}]),
    "cpuset": with_host(CpusetCpus="0"),
    "group add": with_host(GroupAdd=["docker"]),
    "init path trick": with_host(Init="true"),
    "nested object in a scalar": with_host(NetworkMode={"Name": NETWORK}),
    "other image": {**BASE, "Image": "busybox:1.37"},
    "image case": {**BASE, "Image": IMAGE.upper()},
    "image digest": {**BASE, "Image": IMAGE + "@sha256:" + "0" * 64},
    "image with space": {**BASE, "Image": IMAGE + " "},
    "no image": {k: v for k, v in BASE.items() if k != "Image"},
    "user root": {**BASE, "User": "0"},
    "entrypoint": {**BASE, "Entrypoint": ["sh", "-c", "id"]},
    "hostname postgres": {**BASE, "Hostname": "postgres"},
    "exposed ports": {**BASE, "ExposedPorts": {"22/tcp": {}}},
    "healthcheck": {**BASE, "Healthcheck": {"Test": ["CMD", "true"]}},
    "anonymous volume": {**BASE, "Volumes": {"/etc": {}}},
    "spoofed stack label": {**BASE, "Labels": {**BASE["Labels"], "io.dagster-platform.stack": "other"}},
    "compose service label": {**BASE, "Labels": {**BASE["Labels"], "com.docker.compose.service": "postgres"}},
    "alias on the network": {**BASE, "NetworkingConfig": {"EndpointsConfig": {NETWORK: {"Aliases": ["postgres"]}}}},
    "static address": {
        **BASE,
        "NetworkingConfig": {"EndpointsConfig": {NETWORK: {"IPAMConfig": {"IPv4Address": "172.30.0.2"}}}},
    },
    "second network": {**BASE, "NetworkingConfig": {"EndpointsConfig": {"bridge": {}}}},
    "env with NUL": {**BASE, "Env": ["A=1\u0000B=2"]},
    "env not a list": {**BASE, "Env": "A=1"},
    "HostConfig missing": {k: v for k, v in BASE.items() if k != "HostConfig"},
    "HostConfig null": {**BASE, "HostConfig": None},
    "HostConfig a list": {**BASE, "HostConfig": [BASE["HostConfig"]]},
    "top-level array": [BASE],
}


HOSTILE_TEXT = {
    "escaped quote in a bind": raw_host('"Binds": ["x\\",\\"/:/host"]'),
    "HostConfig twice, dangerous last": json.dumps(BASE)[:-1] + ', "HostConfig": {"Privileged": true}}',
    "HostConfig twice by case, dangerous first": json.dumps(BASE).replace('"HostConfig"', '"hostconfig"', 1)[:-1]
    + ', "HOSTCONFIG": '
    + json.dumps(BASE["HostConfig"])
    + "}",
    "Binds twice by case": raw_host(f'"binds": ["/:/host"], "BINDS": ["{WAREHOUSE_BIND}"]'),
    "ReadonlyRootfs twice": raw_host('"readonlyrootfs": false'),
    "ReadonlyRootfs twice, false last": raw_host_end('"readonlyrootfs": false'),
    "Binds twice, host path last": raw_host_end('"BINDS": ["/:/host"]'),
    "CapDrop twice, empty last": raw_host_end('"capdrop": []'),
    "NetworkMode twice, host last": raw_host_end('"networkmode": "host"'),
    "NaN memory": raw_host('"Memory": NaN'),
    "Infinity pids": raw_host('"PidsLimit": Infinity'),
    "exponent memory": raw_host('"Memory": 2e9'),
    "big integer": raw_host('"Memory": 100000000000000000000000'),
    "negative zero": raw_host('"Memory": -0'),
    "lone surrogate in image": json.dumps(BASE).replace(IMAGE, IMAGE + "\\ud800"),
    "trailing data": json.dumps(BASE) + json.dumps(with_host(Privileged=True)),
    "comment": "/* x */" + json.dumps(BASE),
    "trailing comma": json.dumps(BASE)[:-1] + ",}",
    "single quotes": json.dumps(BASE).replace('"Image"', "'Image'"),
    "deep nesting": raw_host('"Sysctls": ' + "[" * 200 + "]" * 200),
    "very deep nesting": raw_host('"Sysctls": ' + "[" * 100000 + "]" * 100000),
    "control character": json.dumps(BASE).replace(IMAGE, IMAGE + "\t"),
    "empty": "",
    "null": "null",
}


RAW_BODY = json.dumps(BASE).encode()
HOSTILE_HTTP = {
    "BOM": create(b"\xef\xbb\xbf" + RAW_BODY),
    "invalid UTF-8": create(RAW_BODY.replace(b'"PLATFORM_ENV=ci"', b'"PLATFORM_ENV=\xff"')),
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "HTTP/1.0": create(RAW_BODY).replace(b"HTTP/1.1", b"HTTP/1.0", 1),
    "HTTP/0.9": b"GET /_ping\r\n\r\n",
    "chunked": http("POST", f"{API}/containers/create", headers=("Transfer-Encoding: chunked",))
    + f"{len(RAW_BODY):x}\r\n".encode()
    + RAW_BODY
    + b"\r\n0\r\n\r\n",
    "CL and TE": create(RAW_BODY).replace(b"Host: docker", b"Host: docker\r\nTransfer-Encoding: chunked", 1),
    "TE obfuscated": create(RAW_BODY).replace(b"Host: docker", b"Host: docker\r\nTransfer-Encoding : chunked", 1),
    "two Content-Length": create(RAW_BODY).replace(b"Host: docker", b"Host: docker\r\nContent-Length: 2", 1),
    "Content-Length short (smuggled rest)": create(RAW_BODY) + b"POST /v1.41/containers/x/start HTTP/1.1\r\n\r\n",
    "Content-Length sign": create(RAW_BODY).replace(b"Content-Length: ", b"Content-Length: +", 1),
    "folded header": create(RAW_BODY).replace(b"Host: docker", b"Host: docker\r\n X-Folded: 1", 1),
    "bare LF": create(RAW_BODY).replace(b"Host: docker\r\n", b"Host: docker\n", 1),
    "space before colon": create(RAW_BODY).replace(b"Host: docker", b"Host : docker", 1),
    "two Host": create(RAW_BODY).replace(b"Host: docker", b"Host: docker\r\nHost: other", 1),
    "huge header": create(RAW_BODY).replace(b"Host: docker", b"Host: docker\r\nX-Pad: " + b"a" * 20000, 1),
    "too many headers": create(RAW_BODY).replace(b"Host: docker", b"Host: docker" + b"\r\nX-A: 1" * 70, 1),
    "huge body": create(raw_host('"Sysctls": {}, "X": "' + "a" * 300000 + '"')),
    "Expect 100-continue": create(RAW_BODY).replace(b"Host: docker", b"Host: docker\r\nExpect: 100-continue", 1),
    "Upgrade h2c": create(RAW_BODY).replace(b"Host: docker", b"Host: docker\r\nUpgrade: h2c\r\nHTTP2-Settings: AA", 1),
    "lowercase method": create(RAW_BODY).replace(b"POST", b"post", 1),
    "absolute-form target": create(RAW_BODY).replace(b"POST /", b"POST http://docker/", 1),
    "asterisk target": b"OPTIONS * HTTP/1.1\r\nHost: docker\r\n\r\n",
    "body on GET": http("GET", f"{API}/containers/json", b"{}", ("Content-Length: 2",)),
    "NUL in header": create(RAW_BODY).replace(b"Host: docker", b"Host: dock\x00er", 1),
}


CID = "3992a6a5dd76"
HOSTILE_CALLS = {
    "old API start with HostConfig": http(
        "POST", f"/v1.12/containers/{CID}/start", b'{"Binds": ["/:/host"], "PidMode": "host"}'
    ),
    "old API create": create(json.dumps(BASE)).replace(b"/v1.41/", b"/v1.23/", 1),
    "future API": create(json.dumps(BASE)).replace(b"/v1.41/", b"/v1.99/", 1),
    "v2": create(json.dumps(BASE)).replace(b"/v1.41/", b"/v2.0/", 1),
    "unversioned create": create(json.dumps(BASE)).replace(b"/v1.41/", b"/", 1),
    "uppercase V": create(json.dumps(BASE)).replace(b"/v1.41/", b"/V1.41/", 1),
    "double slash": create(json.dumps(BASE)).replace(b"/containers/", b"//containers/", 1),
    "trailing slash": create(json.dumps(BASE)).replace(b"/create", b"/create/", 1),
    "name postgres": create(json.dumps(BASE)).replace(b"/create", b"/create?name=postgres", 1),
    "platform": create(json.dumps(BASE)).replace(b"/create", b"/create?platform=linux", 1),
    "start with a body": http("POST", f"{API}/containers/{CID}/start", b'{"Binds": ["/:/host"]}'),
    "start with a query": http("POST", f"{API}/containers/{CID}/start?detachKeys=ctrl-p"),
    "exec": http("POST", f"{API}/containers/{CID}/exec", b'{"Cmd": ["id"]}'),
    "exec dot segment": http("POST", f"{API}/containers/{CID}/../../exec", b"{}"),
    "encoded slash": http("POST", f"{API}/containers/{CID}%2Fexec", b"{}"),
    "encoded dot": http("GET", f"{API}/containers/%2e%2e/json"),
    "kill": http("POST", f"{API}/containers/{CID}/kill"),
    "attach": http("POST", f"{API}/containers/{CID}/attach?stream=1&stdin=1"),
    "update": http("POST", f"{API}/containers/{CID}/update", b'{"Memory": 0}'),
    "rename": http("POST", f"{API}/containers/{CID}/rename?name=postgres"),
    "archive put": http("PUT", f"{API}/containers/{CID}/archive?path=/", b"x"),
    "remove": http("DELETE", f"{API}/containers/{CID}?force=1"),
    "wait removed": http("POST", f"{API}/containers/{CID}/wait?condition=removed&x=1"),
    "stop unknown query": http("POST", f"{API}/stop?t=1"),
    "stop query repeated": http("POST", f"{API}/containers/{CID}/stop?t=1&t=2"),
    "logs bad query": http("GET", f"{API}/containers/{CID}/logs?details=1"),
    "list with raw quotes": http("GET", f'{API}/containers/json?filters={{"label":["x"]}}'),
    "list filter by other stack label": http(
        "GET", f"{API}/containers/json?filters=%7B%22labelz%22%3A%5B%22a%22%5D%7D"
    ),
    "image pull": http("POST", f"{API}/images/create?fromImage=busybox&tag=1.37"),
    "image inspect": http("GET", f"{API}/images/{IMAGE}/json"),
    "build": http("POST", f"{API}/build", b"x"),
    "volumes": http("GET", f"{API}/volumes"),
    "volume create": http(
        "POST", f"{API}/volumes/create", b'{"Name": "x", "DriverOpts": {"o": "bind", "device": "/"}}'
    ),
    "info": http("GET", f"{API}/info"),
    "events": http("GET", f"{API}/events"),
    "system df": http("GET", f"{API}/system/df"),
    "network create": http("POST", f"{API}/networks/create", b'{"Name": "x"}'),
    "network connect with alias": http(
        "POST",
        f"{API}/networks/{NETWORK}/connect",
        json.dumps({"Container": CID, "EndpointConfig": {"Aliases": ["postgres"]}}).encode(),
    ),
    "network connect with address": http(
        "POST",
        f"{API}/networks/{NETWORK}/connect",
        json.dumps({"Container": CID, "EndpointConfig": {"IPAddress": "172.30.0.2"}}).encode(),
    ),
    "network disconnect": http("POST", f"{API}/networks/{NETWORK}/disconnect", json.dumps({"Container": CID}).encode()),
    "swarm": http("GET", f"{API}/swarm"),
    "plugins": http("GET", f"{API}/plugins"),
    "secrets": http("GET", f"{API}/secrets"),
    "session": http("POST", f"{API}/session"),
    "grpc": http("POST", "/grpc"),
    "ping with query": http("GET", "/_ping?x=1"),
}


HOUSEKEEPING_REFUSED = {
    "create": create(json.dumps(BASE)),
    "forced remove": http("DELETE", f"{API}/containers/{CID}?force=1"),
    "forced remove as True": http("DELETE", f"{API}/containers/{CID}?v=False&link=False&force=True"),
    "remove with volumes": http("DELETE", f"{API}/containers/{CID}?v=yes"),
    "remove force repeated": http("DELETE", f"{API}/containers/{CID}?force=0&force=1"),
    "remove force odd value": http("DELETE", f"{API}/containers/{CID}?force=on"),
    "start": http("POST", f"{API}/containers/{CID}/start"),
    "stop": http("POST", f"{API}/containers/{CID}/stop"),
    "logs": http("GET", f"{API}/containers/{CID}/logs?stdout=1"),
    "network connect": http("POST", f"{API}/networks/{NETWORK}/connect", json.dumps({"Container": CID}).encode()),
    "exec": http("POST", f"{API}/containers/{CID}/exec", b"{}"),
}


ALL_RAW = (
    [create(raw_host(f'"{k}": {DANGEROUS[f]}')) for f, k in SPELLED]
    + [create(b) for b in HOSTILE_BODIES.values()]
    + [create(t) for t in HOSTILE_TEXT.values()]
    + list(HOSTILE_HTTP.values())
    + list(HOSTILE_CALLS.values())
)
