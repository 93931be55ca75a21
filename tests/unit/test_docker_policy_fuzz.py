"""Property: whatever a client does to the launcher's own create body (key case and Unicode
spellings, \\u escapes, key order, duplicate keys, dangerous fields slipped in, values of the
wrong type), what the policy forwards, read the way the engine reads it, holds no denied
setting. Generated with hypothesis; no Docker needed."""

import json

from docker_requests import create, denied_settings, forwarded, launcher_create_body
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE = launcher_create_body()
INJECT = {
    "Binds": ["/:/host"],
    "Privileged": True,
    "PidMode": "host",
    "NetworkMode": "host",
    "CapAdd": ["ALL"],
    "CapDrop": [],
    "SecurityOpt": ["seccomp=unconfined"],
    "ReadonlyRootfs": False,
    "VolumesFrom": ["docker-proxy"],
    "Devices": [{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda"}],
    "Mounts": [{"Type": "bind", "Source": "/", "Target": "/h"}],
    "MaskedPaths": [],
    "Memory": 0,
    "PidsLimit": -1,
    "UsernsMode": "host",
    "Image": "busybox:1.37",
    "User": "0",
}
# Objects that are maps to Go (their keys are data, matched exactly): keys kept as they are.
MAPS = {"Labels", "Tmpfs", "Config", "Volumes", "NetworkingConfig"}
ODD_VALUES = [None, True, False, 0, 1, -1, "", "ALL", "host", [], {}, ["ALL"], ["/:/host"], {"x": 1}, 2**63]


def spell(draw, key: str) -> str:
    """A spelling of `key` that Go's decoder may match to the same field, as raw JSON text:
    as it is, in mixed case, with U+017F for s or the Kelvin sign for k, or \\u-escaped."""
    mode = draw(st.sampled_from(["same", "same", "case", "fold", "escape"]))
    out = []
    for original in key:
        char, flip = original, draw(st.booleans())
        if mode == "case" and flip:
            char = original.swapcase()
        elif mode == "fold" and flip and original.lower() in "sk":
            char = "\u017f" if original.lower() == "s" else "\u212a"
        out.append(f"\\u{ord(char):04x}" if mode == "escape" and flip else json.dumps(char)[1:-1])
    return '"' + "".join(out) + '"'


def dump(draw, value, depth: int = 0, is_map: bool = False) -> str:
    """JSON text of `value`, mutated: spellings, order, duplicates, injections, odd types."""
    if is_map:
        return json.dumps(value)
    if isinstance(value, dict) and not (depth and draw(st.integers(0, 30)) == 0):
        items = list(value.items())
        if depth <= 1 and draw(st.integers(0, 4)) == 0:
            name = draw(st.sampled_from(sorted(INJECT)))
            items.insert(draw(st.integers(0, len(items))), (name, INJECT[name]))
        if draw(st.integers(0, 2)) == 0 and items:
            # A duplicate, later in the object (Go keeps the last), often a dangerous value.
            key, _ = draw(st.sampled_from(items))
            odd = draw(st.sampled_from(ODD_VALUES))
            items.append((key, INJECT[key] if key in INJECT and draw(st.booleans()) else odd))
        order = draw(st.permutations(range(len(items))))
        parts = []
        for i in order:
            key, item = items[i]
            if draw(st.integers(0, 80)) == 0:
                item = draw(st.sampled_from(ODD_VALUES))
            parts.append(spell(draw, key) + ":" + dump(draw, item, depth + 1, key in MAPS))
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list) and draw(st.integers(0, 60)) == 0:
        return json.dumps(draw(st.sampled_from(ODD_VALUES)))
    return json.dumps(value)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_launcher_bodies_never_forward_a_denied_setting(data):
    """The invariant of the corpus, over generated variants of the launcher's own body."""
    text = dump(data.draw, BASE)
    out = forwarded(create(text))
    if out is not None:
        assert denied_settings(out) == [], text


def test_unmutated_body_passes():
    """The generator starts from a body the policy forwards (else the property is vacuous)."""
    assert forwarded(create(json.dumps(BASE))) is not None
