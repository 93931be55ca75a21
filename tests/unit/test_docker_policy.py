"""The Docker API policy against a corpus of hostile requests (no Docker needed).

Each case is a raw request a client of `docker-proxy` could send. The judgment is on the
effect: for a request the policy forwards, the rebuilt body is read the way the engine reads
it (Go-style case folding, last duplicate wins) and must contain no denied setting; the
cases that can only be hostile must not be forwarded at all. The launcher's own requests,
built with docker-py from dagster.yaml, must pass unchanged in meaning.
"""

import json
import re
import time

import pytest
import yaml
from docker_attacks import (
    ALL_RAW,
    BASE,
    CID,
    DANGEROUS,
    HOSTILE_BODIES,
    HOSTILE_CALLS,
    HOSTILE_HTTP,
    HOSTILE_TEXT,
    HOUSEKEEPING_REFUSED,
    SPELLED,
    raw_host,
)
from docker_requests import (
    API,
    APP_IMAGE,
    HOUSEKEEPING,
    IMAGE,
    NETWORK,
    RESOLVED_ID,
    ROOT,
    WAREHOUSE_BIND,
    create,
    denied_settings,
    forwarded,
    go_read,
    http,
)

from docker_policy.gojson import fold
from docker_policy.settings import Settings


@pytest.mark.parametrize(("field", "key"), SPELLED, ids=[f"{f}:{k}" for f, k in SPELLED])
def test_dangerous_field_in_any_spelling_is_refused(field, key):
    """A denied HostConfig field, however its key is spelled, never reaches the engine."""
    assert forwarded(create(raw_host(f'"{key}": {DANGEROUS[field]}'))) is None


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_hostile_create_body_is_refused(name):
    """Each body asks for something outside the allowlist, or lacks the required hardening."""
    assert forwarded(create(HOSTILE_BODIES[name])) is None


@pytest.mark.parametrize("name", list(HOSTILE_TEXT))
def test_ambiguous_json_is_refused(name):
    """JSON that two readers could read differently, or Go would read leniently, is refused."""
    assert forwarded(create(HOSTILE_TEXT[name])) is None


@pytest.mark.parametrize("name", list(HOSTILE_HTTP))
def test_ambiguous_http_is_refused(name):
    """Smuggling, other protocol versions, oversized or malformed requests: never forwarded."""
    assert forwarded(HOSTILE_HTTP[name]) is None


@pytest.mark.parametrize("name", list(HOSTILE_CALLS))
def test_calls_off_the_launcher_allowlist_are_refused(name):
    """Every endpoint, version, method or query the launcher does not use: not forwarded."""
    assert forwarded(HOSTILE_CALLS[name]) is None


@pytest.mark.parametrize("name", list(HOUSEKEEPING_REFUSED))
def test_housekeeping_may_only_list_and_remove(name):
    """The proxy run containers reach: anything but list and an unforced remove is refused."""
    assert forwarded(HOUSEKEEPING_REFUSED[name], HOUSEKEEPING) is None


def test_corpus_is_large():
    """At least a hundred crafted requests, every class of the audit represented."""
    total = len(SPELLED) + len(HOSTILE_BODIES) + len(HOSTILE_TEXT) + len(HOSTILE_HTTP) + len(HOSTILE_CALLS)
    assert total + len(HOUSEKEEPING_REFUSED) >= 100, total


def test_nothing_forwarded_carries_a_denied_setting():
    """The invariant over the whole corpus, judged on what the engine would receive."""
    leaks = {}
    for raw in ALL_RAW:
        out = forwarded(raw)
        if out is not None and denied_settings(out):
            leaks[raw[:80]] = denied_settings(out)
    assert leaks == {}


def test_the_launchers_own_create_is_forwarded_with_its_meaning():
    """DockerRunLauncher's body (dagster.yaml's hardening) passes, and the engine would read the
    same image, command, environment, volume, network, limits and hardening, plus the label."""
    out = forwarded(create(BASE))
    assert out is not None, "the launcher's own create must pass"
    assert denied_settings(out) == []
    sent = go_read(out.partition(b"\r\n\r\n")[2])
    assert sent["cmd"] == BASE["Cmd"] and sent["env"] == BASE["Env"] and sent["image"] == IMAGE
    host = sent["hostconfig"]
    assert host["binds"] == [WAREHOUSE_BIND] and host["memory"] == BASE["HostConfig"]["Memory"]
    assert host["tmpfs"] == BASE["HostConfig"]["Tmpfs"] and host["logconfig"]["type"] == "json-file"
    assert sent["labels"]["io.dagster-platform.role"] == "run"


def test_lifecycle_calls_are_forwarded_on_the_resolved_id_only():
    """start, stop, inspect, logs, wait and connect go to the id the engine resolved (the
    label check happens there), with no body but the connect's, rebuilt without settings."""
    calls = [
        http("POST", f"{API}/containers/{CID}/start"),
        http("POST", f"{API}/containers/{CID}/stop?t=30"),
        http("GET", f"{API}/containers/{CID}/json"),
        http("GET", f"{API}/containers/{CID}/logs?stdout=1&stderr=1&tail=all"),
        http("POST", f"{API}/containers/{CID}/wait?condition=not-running"),
        http(
            "POST", f"{API}/networks/{NETWORK}/connect", json.dumps({"Container": CID, "EndpointConfig": {}}).encode()
        ),
    ]
    for raw in calls:
        out = forwarded(raw)
        assert out is not None, raw
        line = out.split(b"\r\n")[0].decode()
        assert RESOLVED_ID in line and CID not in line, line
        assert denied_settings(out) == [], line


def test_container_lists_are_narrowed_to_this_stack():
    """A list, with or without filters, asks the engine only for this stack's containers."""
    for query in ("", "?all=1", "?all=1&filters=%7B%22label%22%3A+%5B%22io.dagster-platform.role%3Drun%22%5D%7D"):
        for settings in (None, HOUSEKEEPING):
            raw = http("GET", f"{API}/containers/json{query}")
            out = forwarded(raw, settings) if settings else forwarded(raw)
            line = out.split(b"\r\n")[0].decode()
            assert "io.dagster-platform.stack%3Ddagster-platform" in line, line


def test_fold_matches_go_spellings():
    """The fold maps what Go maps: case, U+017F to s, the Kelvin sign to k."""
    assert fold("Binds") == fold("BINDS") == fold("binds")
    assert fold("\u017fecurityopt") == fold("SecurityOpt")
    assert fold("\u212aernel") == fold("kernel")
    assert fold("Binds") != fold("Bind")


def test_fold_fast_path_agrees_with_the_unicode_path():
    """ASCII keys take a shortcut; each ASCII character folds as it does inside a non-ASCII key."""
    for code in range(32, 127):
        char = chr(code)
        assert fold(char) == fold("\u00e9" + char)[1:], char


def test_keys_longer_than_any_field_are_refused_cheaply():
    """A quarter-megabyte key is refused before it is folded (it would hold the event loop)."""
    body = '{"' + "k" * 200_000 + '": 0, ' + json.dumps(BASE)[1:]
    started = time.perf_counter()
    assert forwarded(create(body)) is None
    assert time.perf_counter() - started < 1.0


def compose_proxy_settings(service: str, role: str) -> Settings:
    """The policy settings a compose service gets, with the compose file's own defaults."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["services"][service]["environment"]
    resolved = {k: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(v)) for k, v in env.items()}
    return Settings.from_env(role, resolved)


def test_compose_settings_admit_the_launchers_body():
    """dagster.yaml's run containers fit docker-compose.yml's policy (image, network, volume,
    limits): a change to one that the other does not follow fails here, not at launch."""
    settings = compose_proxy_settings("docker-proxy", "launcher")
    assert (
        {IMAGE, APP_IMAGE} <= settings.images and settings.networks == {NETWORK} and settings.binds == {WAREHOUSE_BIND}
    )
    assert forwarded(create(BASE), settings) is not None


def test_every_code_locations_image_is_admitted():
    """Each code location's runs use its server's DAGSTER_CURRENT_IMAGE: the launcher's proxy
    admits every one of them (a location added without it could not start a single run)."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    images = {
        name: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", service["environment"]["DAGSTER_CURRENT_IMAGE"])
        for name, service in services.items()
        if "DAGSTER_CURRENT_IMAGE" in service.get("environment", {})
    }
    assert {"platform-code", "user-code"} <= images.keys(), images
    admitted = compose_proxy_settings("docker-proxy", "launcher").images
    assert not {name: image for name, image in images.items() if image not in admitted}


def test_a_missing_setting_is_named():
    """A proxy without its stack name (or images, networks) refuses to start, naming it."""
    with pytest.raises(SystemExit, match="DOCKER_POLICY_IMAGES"):
        Settings.from_env("launcher", {"DOCKER_POLICY_STACK": "s", "DOCKER_POLICY_NETWORKS": "n"})
    with pytest.raises(SystemExit, match="DOCKER_POLICY_STACK"):
        Settings.from_env("housekeeping", {"DOCKER_POLICY_NETWORKS": "n"})
