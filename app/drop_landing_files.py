"""Drop sample files into the landing zone, as a partner would (for demos and smoke tests).

    python -m app.drop_landing_files valid                  # well-formed, lands and publishes
    python -m app.drop_landing_files duplicates             # well-formed, fails landed_orders:unique_order_ids
    python -m app.drop_landing_files bad_header|bad_rows    # malformed, ends up in quarantine/
    python -m app.drop_landing_files empty                  # zero bytes, ends up in quarantine/
    python -m app.drop_landing_files oversized              # 1 MiB over max_file_bytes (streamed up)
    python -m app.drop_landing_files oversized --size 3g    # any size over it, e.g. above a run's memory

Uses the same landing_zone resource as the sensor (PLATFORM_ENV and its S3 variables),
so the endpoint is configured in exactly one place. Prints the object key it wrote.
"""

import argparse
import datetime as dt
import io

import dagster as dg

from app.lib.landing_files import make_malformed_orders_csv, make_orders_csv
from app.resources.by_environment import landing_zone
from app.resources.landing_zone import INCOMING_PREFIX
from dagster_platform.environment import current_environment

KINDS = ("valid", "duplicates", "bad_header", "bad_rows", "empty", "oversized")


def sample_file(kind: str, rows: int) -> bytes:
    """The bytes of one sample file of ``kind`` (see module docstring; not ``oversized``)."""
    if kind == "empty":
        return b""
    if kind in ("bad_header", "bad_rows"):
        return make_malformed_orders_csv(kind)
    return make_orders_csv(rows, duplicate_order_ids=kind == "duplicates")


class _RepeatedRows(io.RawIOBase):
    """A valid CSV of ``size`` bytes generated on the fly: uploaded without holding it in memory."""

    def __init__(self, size: int):
        self._remaining = size
        self._pending = make_orders_csv(1)  # header and one row, then the same row again
        self._row = self._pending.split(b"\n", 1)[1]

    def readable(self) -> bool:
        """Always readable (io protocol)."""
        return True

    def readinto(self, buffer) -> int:
        """Fill ``buffer`` with the next bytes of the file (0 at the end)."""
        while len(self._pending) < len(buffer) and len(self._pending) < self._remaining:
            self._pending += self._row * 4096
        n = min(len(buffer), self._remaining, len(self._pending))
        buffer[:n], self._pending = self._pending[:n], self._pending[n:]
        self._remaining -= n
        return n


def parse_size(text: str) -> int:
    """``123``, ``64m``, ``2g`` (binary units, as Docker's ``mem_limit``) -> bytes."""
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    text = text.strip().lower()
    try:
        return int(text[:-1]) * units[text[-1]] if text[-1:] in units else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 70m, 2g, 1048576)") from None


def drop_oversized(zone, name: str, size: int | None = None) -> str:
    """Stream a well-formed file of ``size`` bytes (default: 1 MiB over the zone's
    ``max_file_bytes``) into incoming/, without holding it in memory.

    Raises:
        ValueError: when ``size`` is not over ``max_file_bytes`` (the file would not be oversized).
    """
    key = INCOMING_PREFIX + name
    size = size or zone.max_file_bytes + 1024 * 1024
    if size <= zone.max_file_bytes:
        raise ValueError(f"--size {size} is not over max_file_bytes ({zone.max_file_bytes})")
    zone.store.client().upload_fileobj(io.BufferedReader(_RepeatedRows(size)), zone.bucket, key)
    return key


def main(argv: list[str] | None = None) -> str:
    """Upload one sample file to incoming/ and return its key."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--name", help="file name under incoming/ (default: <kind>-<UTC timestamp>.csv)")
    parser.add_argument("--rows", type=int, default=20, help="rows of a valid/duplicates file")
    parser.add_argument("--size", type=parse_size, help="bytes of an oversized file (default: 1 MiB over the limit)")
    parser.add_argument("--ensure-bucket", action="store_true", help="create LANDING_BUCKET if missing")
    args = parser.parse_args(argv)
    name = args.name or f"{args.kind}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}.csv"
    with dg.build_resources({"landing_zone": landing_zone(current_environment())}) as resources:
        zone = resources.landing_zone
        if args.ensure_bucket:
            zone.store.ensure_bucket(zone.bucket)
        if args.kind == "oversized":
            key = drop_oversized(zone, name, args.size)
        else:
            key = zone.drop(name, sample_file(args.kind, args.rows))
    print(key)
    return key


if __name__ == "__main__":
    main()
