"""Snapshot of the code location's shape: asset keys, deps, groups, partitions, checks, automation.

An accidental rename, lost dependency or dropped check changes this snapshot and fails
the test. After an intended change, regenerate and commit the file:

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/unit/test_asset_graph_snapshot.py
"""

import importlib
import json
import os
from pathlib import Path

import dagster as dg
import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


_OPERATORS = {"AndAutomationCondition": " & ", "OrAutomationCondition": " | "}


def describe_condition(condition: dg.AutomationCondition | None) -> str | None:
    """A short, stable rendering: labels where Dagster gives them, else the operator tree."""
    if condition is None:
        return None
    if condition.get_label():
        return condition.get_label()
    names = [describe_condition(child) for child in condition.children]
    kind = type(condition).__name__
    if kind in _OPERATORS:
        return _OPERATORS[kind].join(names)
    if kind == "NotAutomationCondition":
        return f"~{names[0]}"
    return kind


def describe_freshness(policy) -> dict | None:
    """Freshness windows as readable durations (the 1.13 FreshnessPolicy.time_window form)."""
    if policy is None:
        return None
    return {
        name: str(getattr(policy, name).to_timedelta())
        for name in ("fail_window", "warn_window")
        if getattr(policy, name, None) is not None
    }


def graph_summary(defs: dg.Definitions) -> dict:
    """Everything the snapshot pins, as plain JSON-able data."""
    graph = defs.resolve_asset_graph()
    repo = defs.get_repository_def()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitions": str(node.partitions_def) if node.partitions_def else None,
            "automation_condition": describe_condition(node.automation_condition),
            "freshness_policy": describe_freshness(node.freshness_policy),
            "pools": sorted(node.pools or []),
            "kinds": sorted(node.kinds),
            "owners": sorted(node.owners),
            "checks": {
                check.name: {"blocking": graph.get(check).blocking}
                for check in sorted(node.check_keys, key=lambda c: c.name)
            },
        }
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
        "schedules": {s.name: [s.cron_schedule, s.execution_timezone] for s in repo.schedule_defs},
        "sensors": sorted(s.name for s in repo.sensor_defs),
    }


@pytest.mark.parametrize(
    ("module", "snapshot"),
    [("app.definitions", "asset_graph.json"), ("dagster_platform.definitions", "platform_graph.json")],
)
def test_asset_graph_matches_snapshot(module, snapshot):
    """Each location's loaded definitions match its file under tests/unit/snapshots/ (see module docstring)."""
    defs = importlib.import_module(module).defs
    path = SNAPSHOT.parent / snapshot
    current = json.dumps(graph_summary(defs), indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(current)
    assert path.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1 and commit it"
    assert json.loads(current) == json.loads(path.read_text())
