"""Declarative automation, switched on.

Dagster's implicit default automation sensor starts STOPPED; declaring it explicitly
with RUNNING makes `automation_condition=` (the successor of AutoMaterializePolicy)
work out of the box in every environment.
"""

import dagster as dg

default_automation_sensor = dg.AutomationConditionSensorDefinition(
    "default_automation_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates automation conditions of all assets (e.g. customer_lifetime_value).",
)
