"""Pandas DataFrames as Parquet objects in an S3-compatible data lake.

Object keys (all in ``bucket``)::

    <asset/key/path>.parquet                           unpartitioned asset
    <asset/key/path>/<partition_key>.parquet           single-dimension partitions
    <asset/key/path>/<dim1 value>/<dim2 value>.parquet multi-partitions, dimensions in
                                                       Dagster's order (sorted by name),
                                                       e.g. ``2026-01-01|eu`` -> ``2026-01-01/eu``

Characters outside ``A-Za-z0-9._=-`` in a partition key become ``_`` ("/" in a dynamic
key stays a folder separator; "." and ".." segments are neutralised).

Loading several partitions (a downstream depending on many upstream partitions)
returns one concatenated DataFrame, the same shape ``DuckDBPandasIOManager`` returns
in dev, so asset code is identical in every environment. A missing partition object
is an error here (DuckDB silently returns fewer rows).
"""

import re

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from app.resources.s3_store import S3Store

_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]")


def _safe_segment(segment: str) -> str:
    """One path segment with unsafe characters replaced (never empty, '.' or '..')."""
    cleaned = _UNSAFE.sub("_", segment)
    return "_" if cleaned in ("", ".", "..") else cleaned


def partition_path(partition_key: str, is_multi: bool) -> str:
    """The object-key fragment of one partition (see module docstring)."""
    parts = partition_key.split("|") if is_multi else partition_key.split("/")
    return "/".join(_safe_segment(p) for p in parts)


def object_key(asset_path: list[str], partition_key: str | None = None, is_multi: bool = False) -> str:
    """The object key of an asset (partition) inside the lake bucket."""
    base = "/".join(asset_path)
    if partition_key is None:
        return f"{base}.parquet"
    return f"{base}/{partition_path(partition_key, is_multi)}.parquet"


class S3ParquetIOManager(dg.ConfigurableIOManager):
    """Stores pandas DataFrames as Parquet in ``s3://<bucket>/`` via pyarrow (no DuckDB httpfs)."""

    store: S3Store
    bucket: str

    def _keys(self, context: dg.InputContext | dg.OutputContext) -> list[str]:
        """Object keys this context refers to (one per partition, or the single object)."""
        path = list(context.asset_key.path)
        if not context.has_asset_partitions:
            return [object_key(path)]
        is_multi = isinstance(context.asset_partitions_def, dg.MultiPartitionsDefinition)
        return [object_key(path, key, is_multi) for key in context.asset_partition_keys]

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | None) -> None:
        """Write ``obj`` to its object key(s); an output of None stores nothing."""
        if obj is None:
            return
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(
                f"{type(self).__name__} stores pandas DataFrames; asset {context.asset_key.to_user_string()} "
                f"returned {type(obj).__name__}"
            )
        keys = self._keys(context)
        if len(keys) != 1:
            # One step writing many partitions needs a column to split on: not supported here.
            raise ValueError(f"expected one partition per output, got {len(keys)}")
        table = pa.Table.from_pandas(obj, preserve_index=False)
        pq.write_table(table, f"{self.bucket}/{keys[0]}", filesystem=self.store.filesystem())
        context.add_output_metadata(
            {"uri": dg.MetadataValue.path(f"s3://{self.bucket}/{keys[0]}"), "row_count": len(obj)}
        )

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        """Read the object(s) of the upstream asset; several partitions come back concatenated."""
        fs = self.store.filesystem()
        keys = sorted(self._keys(context))
        missing = [key for key in keys if fs.get_file_info(f"{self.bucket}/{key}").type == pafs.FileType.NotFound]
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} object(s) of {context.asset_key.to_user_string()} missing in "
                f"s3://{self.bucket}/ (materialize those partitions first): {', '.join(missing)}"
            )
        frames = [pq.read_table(f"{self.bucket}/{key}", filesystem=fs).to_pandas() for key in keys]
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
