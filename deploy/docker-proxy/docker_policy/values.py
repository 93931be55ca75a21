"""Typed checks of JSON values, as Go would type them, for the fields the policy allows.

Each check takes (value, where) and returns the value to forward, None to leave it out (Go's
zero value: the engine's default applies), or raises Refused. Types are exact: a bool is not
a number, a number with a fraction or exponent is not an integer, a scalar is not a list.
"""

import re
from typing import Any

from .gojson import Pairs, Refused

INT64 = (-(2**63), 2**63 - 1)


def boolean(value: Any, where: str) -> bool | None:
    """true or false (null: unset)."""
    if value is None:
        return None
    if type(value) is not bool:
        raise Refused(f"{where}: expected true or false")
    return value


def integer(low: int, high: int):
    """An integer within [low, high] (null or 0: unset when 0 is allowed)."""

    def check(value: Any, where: str) -> int | None:
        if value is None:
            return None
        if type(value) is not int or not INT64[0] <= value <= INT64[1]:
            raise Refused(f"{where}: expected an integer")
        if not low <= value <= high:
            raise Refused(f"{where}: {value} is outside [{low}, {high}]")
        return value

    return check


def text(pattern: str | None = None, max_len: int = 4096):
    """A string (matching `pattern` in full, if given)."""
    regex = re.compile(pattern) if pattern else None

    def check(value: Any, where: str) -> str | None:
        if value is None:
            return None
        if type(value) is not str:
            raise Refused(f"{where}: expected a string")
        if len(value) > max_len:
            raise Refused(f"{where}: longer than {max_len} characters")
        if regex and not regex.fullmatch(value):
            raise Refused(f"{where}: {value!r} is not allowed")
        return value

    return check


def one_of(*allowed: str):
    """A string from a fixed set."""

    def check(value: Any, where: str) -> str | None:
        if value is None:
            return None
        if type(value) is not str or value not in allowed:
            raise Refused(f"{where}: {value!r} is not one of {sorted(allowed)}")
        return value

    return check


def list_of(item, max_items: int = 4096):
    """A JSON array whose items each pass `item` (null: unset)."""

    def check(value: Any, where: str) -> list | None:
        if value is None:
            return None
        if type(value) is not list:
            raise Refused(f"{where}: expected a list")
        if len(value) > max_items:
            raise Refused(f"{where}: more than {max_items} items")
        out = [item(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if any(v is None for v in out):
            raise Refused(f"{where}: null item")
        return out

    return check


def map_of(key_check, value_check, max_items: int = 1024):
    """A JSON object used as a map (labels, tmpfs): keys exact, never folded; unique."""

    def check(value: Any, where: str) -> dict | None:
        if value is None:
            return None
        if not isinstance(value, Pairs):
            raise Refused(f"{where}: expected an object")
        if len(value) > max_items:
            raise Refused(f"{where}: more than {max_items} entries")
        out: dict = {}
        for key, item in value:
            key_check(key, f"{where} key")
            if key in out:
                raise Refused(f"{where}: duplicate key {key!r}")
            checked = value_check(item, f"{where}[{key!r}]")
            out[key] = "" if checked is None else checked
        return out

    return check


def zero_only(value: Any, where: str) -> None:
    """A field the policy does not allow at all: only Go's zero value (treated as absent)."""
    from .gojson import is_zero

    if not is_zero(value):
        raise Refused(f"{where}: not allowed")
    return
