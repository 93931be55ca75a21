"""daily_events_job: the partitioned job used for date-range backfills from the CLI."""

import dagster as dg

from app.defs.events.daily_events import daily_event_counts, daily_events

# A partitioned asset job: one run per day. Backfill a date range with
#   dagster job backfill -m app.definitions -j daily_events_job --from 2026-01-01 --to 2026-01-03 --noprompt
daily_events_job = dg.define_asset_job(
    name="daily_events_job",
    selection=[daily_events, daily_event_counts],
    description="Materialize daily_events and daily_event_counts for one day (partition).",
    tags={"platform/domain": "events"},
)
