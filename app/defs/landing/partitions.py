"""One dynamic partition per landing file, added by landing_zone_sensor.

A partition per file keeps concurrent landing runs apart (each writes its own lake
object) and gives every file its own history, re-run button and check results.
"""

import dagster as dg

LANDING_PARTITIONS = "landing_files"
landing_files = dg.DynamicPartitionsDefinition(name=LANDING_PARTITIONS)
