"""Environments for tests of environment rules: a known-good base with a few changes."""


def overridden(base: dict[str, str], **overrides: str | None) -> dict[str, str]:
    """`base` with `overrides` applied; an override of None removes the variable."""
    merged = {**base, **overrides}
    return {name: value for name, value in merged.items() if value is not None}
