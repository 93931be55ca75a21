"""Recency and freshness of the orders mart, evaluated: stale data fails, fresh data passes.

Two different questions: ``orders_recency`` asks how old the newest *order* is (data age);
the ``FreshnessPolicy`` asks how long ago the *table* was rebuilt. Both are evaluated
here, the policy with the evaluator the freshness daemon runs.
"""

import asyncio
import datetime as dt

import dagster as dg
import pandas as pd
import pytest
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.definitions.freshness_evaluator import TimeWindowFreshnessPolicyEvaluator
from dagster._core.loader import LoadingContextForTest
from dagster._core.test_utils import freeze_time

from app.defs.marts.checks import MAX_NEWEST_ORDER_AGE, customer_lifetime_value_orders_recency
from app.defs.marts.customer_lifetime_value import customer_lifetime_value
from app.defs.orders.assets import raw_orders, staged_orders
from app.defs.shop.assets import shop_database_export
from app.lib.shop_data import FIRST_ORDER_DATE, ORDER_DAYS

PIPELINE = [raw_orders, staged_orders, shop_database_export, customer_lifetime_value]


def _mart(*order_ages: dt.timedelta | None) -> pd.DataFrame:
    """A mart whose customers' last orders are the given ages old (None: never ordered)."""
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    return pd.DataFrame({"last_order_date": [now - age if age is not None else pd.NaT for age in order_ages]})


@pytest.mark.parametrize(
    ("ages", "passed", "age_hours"),
    [
        ((dt.timedelta(hours=1), dt.timedelta(days=9), None), True, 1.0),
        ((dt.timedelta(days=10), dt.timedelta(days=30)), False, 240.0),
        ((MAX_NEWEST_ORDER_AGE + dt.timedelta(hours=1),), False, MAX_NEWEST_ORDER_AGE.total_seconds() / 3600 + 1),
    ],
    ids=["fresh", "stale", "just-over-the-limit"],
)
def test_orders_recency_reports_the_age_of_the_newest_order(ages, passed, age_hours):
    """The newest order decides; the age is in the metadata, in hours."""
    result = customer_lifetime_value_orders_recency(_mart(*ages))
    assert result.passed is passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["age_hours"].value == pytest.approx(age_hours, abs=0.1)
    assert result.metadata["max_age_hours"].value == MAX_NEWEST_ORDER_AGE.total_seconds() / 3600


def test_orders_recency_fails_on_a_mart_without_orders():
    """No order at all is the stalest data there is."""
    result = customer_lifetime_value_orders_recency(_mart(None, None))
    assert not result.passed
    assert result.metadata["newest_order"].value == "no orders"


def test_orders_recency_reads_the_published_mart(dev_resources):
    """In a run, the check loads the mart through the warehouse IO manager (historic demo data: warns)."""
    result = dg.materialize([*PIPELINE, customer_lifetime_value_orders_recency], resources=dev_resources)
    assert result.success  # a WARN check does not fail the run
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == "orders_recency" and not evaluation.passed
    newest = dt.datetime.fromisoformat(evaluation.metadata["newest_order"].value)
    assert newest.date() <= FIRST_ORDER_DATE + dt.timedelta(days=ORDER_DAYS)


def _freshness_state(instance: dg.DagsterInstance, node, at: dt.datetime) -> FreshnessState:
    """The asset's freshness as the freshness daemon would evaluate it at ``at``."""
    with freeze_time(at):
        return asyncio.run(
            TimeWindowFreshnessPolicyEvaluator().evaluate_freshness(LoadingContextForTest(instance), node)
        )


def test_freshness_policy_passes_then_warns_then_fails(instance, dev_resources):
    """UNKNOWN before the first run; PASS after it; WARN past 25 h; FAIL past 30 h."""
    defs = dg.Definitions(assets=PIPELINE, resources=dev_resources)
    node = defs.resolve_asset_graph().get(customer_lifetime_value.key)
    policy = node.freshness_policy
    now = dt.datetime.now(dt.UTC)
    assert _freshness_state(instance, node, now) == FreshnessState.UNKNOWN
    assert dg.materialize(PIPELINE, resources=dev_resources, instance=instance).success
    margin = dt.timedelta(minutes=5)
    assert _freshness_state(instance, node, now + dt.timedelta(hours=1)) == FreshnessState.PASS
    assert _freshness_state(instance, node, now + policy.warn_window.to_timedelta() + margin) == FreshnessState.WARN
    assert _freshness_state(instance, node, now + policy.fail_window.to_timedelta() + margin) == FreshnessState.FAIL
