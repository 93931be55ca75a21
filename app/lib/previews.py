"""Small helpers that turn DataFrames into asset metadata."""

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 10


def frame_metadata(frame: pd.DataFrame, **extra) -> dict:
    """Row count plus a Markdown preview of the first rows (rendered in the asset's UI page)."""
    return {
        "row_count": dg.MetadataValue.int(len(frame)),
        "preview": dg.MetadataValue.md(frame.head(PREVIEW_ROWS).to_markdown(index=False)),
        **extra,
    }
