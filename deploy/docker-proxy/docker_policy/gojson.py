"""JSON read the way the Docker engine reads it, strictly enough to be unambiguous.

The engine decodes bodies with Go's `encoding/json`: object keys match struct fields
case-insensitively with Unicode case folding (U+017F, the long s, is `s`; the Kelvin sign is `k`), the last
duplicate key wins, invalid UTF-8 and lone surrogates become U+FFFD, and trailing data after
the first value is ignored. Rather than reproduce every one of those, this module refuses
whatever could be read two ways (duplicates after folding, BOMs, invalid UTF-8, lone
surrogates, NaN/Infinity, trailing data, deep nesting) and maps the remaining keys onto
canonical field names, so the caller can re-serialise exactly what it checked.
"""

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

MAX_DEPTH = 16
# Longer than any field name of the Docker API: a longer key is refused before it is folded.
MAX_KEY = 64


class Refused(Exception):  # noqa: N818 - a verdict, not an error of the proxy
    """A body the policy will not forward; the message says why (it is logged and returned)."""


class NotFound(Refused):
    """A container or network the caller may not see: answered 404, as if it did not exist."""


class Pairs(list):
    """A JSON object as its (key, value) pairs in order, duplicates kept."""


def _reject_constant(name: str) -> Any:
    raise Refused(f"non-JSON number {name}")


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(f"lone surrogate escape in {where}") from None
    if "\x00" in text:
        raise Refused(f"NUL character in {where}")


def _depth(value: Any, depth: int = 0) -> int:
    if depth > MAX_DEPTH:
        raise Refused(f"nesting deeper than {MAX_DEPTH}")
    if isinstance(value, Pairs):
        for key, item in value:
            _check_text(key, "a key")
            _depth(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _depth(item, depth + 1)
    elif isinstance(value, str):
        _check_text(value, "a string")
    return depth


def decode(body: bytes) -> Any:
    """Parse `body` into Python values with objects as `Pairs`; raise Refused if ambiguous."""
    if body.startswith(b"\xef\xbb\xbf"):
        raise Refused("byte order mark before the JSON body")
    try:
        text = body.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise Refused(f"body is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        value = json.loads(text, object_pairs_hook=Pairs, parse_constant=_reject_constant)
    except Refused:
        raise
    except RecursionError:
        raise Refused(f"nesting deeper than {MAX_DEPTH}") from None
    except ValueError as exc:  # json.JSONDecodeError included: trailing data, syntax
        raise Refused(f"malformed JSON ({exc})") from None
    _depth(value)
    return value


@functools.lru_cache(maxsize=4096)
def fold(name: str) -> str:
    """A key folded so that every spelling Go's decoder (of any Go release) would match to one
    field folds alike: ASCII case, plus each character's simple case-fold partners. Broader
    than Go where Go versions differ, which only costs a refusal, never a bypass: the caller
    re-emits canonical names."""
    if name.isascii():
        # Each ASCII letter's fold partners (k: K and the Kelvin sign; s: S and the long s)
        # fold to its upper case, the smallest of them.
        return name.upper()
    out = []
    for char in name:
        orbit = {char}
        for _ in range(3):
            for c in list(orbit):
                for mapped in (c.lower(), c.upper()):
                    if len(mapped) == 1:
                        orbit.add(mapped)
        out.append(min(orbit))
    return "".join(out)


def is_zero(value: Any) -> bool:
    """A scalar zero value (null, false, 0, ""): what the engine treats as "not set". Empty
    lists and objects are not zero here: for some fields (MaskedPaths) Go tells [] from
    absent, and [] means "no masks"."""
    if value is None or value is False:
        return True
    if type(value) in (int, float):
        return value == 0
    return type(value) is str and value == ""


Check = Callable[[Any, str], Any]


def fields(obj: Any, schema: Mapping[str, Check], where: str) -> dict[str, Any]:
    """Map the object's keys onto `schema`'s canonical names and check each value.

    A key that folds onto no field is dropped when its value is Go's zero value (the engine
    would treat it as absent) and refused otherwise; two keys folding onto one field are
    refused. Returns {canonical name: checked value}, values that are zero left out."""
    if obj is None:
        return {}
    if not isinstance(obj, Pairs):
        raise Refused(f"{where}: expected an object")
    by_fold = {fold(name): name for name in schema}
    seen: dict[str, str] = {}
    out: dict[str, Any] = {}
    for key, value in obj:
        if len(key) > MAX_KEY:
            raise Refused(f"{where}: a key longer than {MAX_KEY} characters")
        name = by_fold.get(fold(key))
        if name is None:
            if not is_zero(value):
                raise Refused(f"{where}.{key}: not allowed")
            continue
        if name in seen:
            raise Refused(f"{where}: {seen[name]!r} and {key!r} both set {name}")
        seen[name] = key
        checked = schema[name](value, f"{where}.{name}")
        if checked is not None:
            out[name] = checked
    return out


def encode(value: Any) -> bytes:
    """Compact, ASCII-only JSON of plain Python values (what the engine will receive)."""
    return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")
