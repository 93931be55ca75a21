"""The CSV contract of files arriving in the landing zone: writers for samples, one parser.

Expected header (exactly, in this order)::

    order_id,customer_id,order_date,region,amount

``order_id``/``customer_id`` integers, ``order_date`` ISO date, ``region`` one of
``eu|us|apac``, ``amount`` a non-negative decimal. Anything else is *malformed* and the
file goes to quarantine. Duplicate ``order_id``s are well-formed (the parser accepts
them): catching those is the job of the blocking asset check, not of the parser.
"""

import csv
import datetime as dt
import io
import unicodedata
from typing import BinaryIO

import numpy as np
import pandas as pd

from app.lib.shop_data import REGIONS

ORDERS_CSV_COLUMNS = ("order_id", "customer_id", "order_date", "region", "amount")
MAX_REPORTED_ROW_ERRORS = 5


class MalformedFileError(ValueError):
    """A landing file that does not follow the CSV contract; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def make_orders_csv(
    n_rows: int = 20, seed: int = 0, first_order_id: int = 1, duplicate_order_ids: bool = False
) -> bytes:
    """A valid landing file with ``n_rows`` orders.

    With ``duplicate_order_ids=True`` the file stays well-formed but its second half
    repeats order ids of the first half: the blocking check ``unique_order_ids`` fails.
    """
    rng = np.random.default_rng(seed)
    ids = np.arange(first_order_id, first_order_id + n_rows)
    if duplicate_order_ids:
        half = max(1, n_rows // 2)
        ids[half:] = ids[: n_rows - half]
    frame = pd.DataFrame(
        {
            "order_id": ids,
            "customer_id": rng.integers(1, 100, size=n_rows),
            "order_date": [
                (dt.date(2026, 1, 1) + dt.timedelta(days=int(d))).isoformat() for d in rng.integers(0, 60, size=n_rows)
            ],
            "region": rng.choice(REGIONS, size=n_rows),
            "amount": np.round(rng.gamma(2.0, 40.0, size=n_rows), 2),
        }
    )
    return frame.to_csv(index=False).encode()


def make_malformed_orders_csv(kind: str = "bad_header") -> bytes:
    """A file that breaks the contract: ``bad_header`` (wrong columns) or ``bad_rows``."""
    if kind == "bad_header":
        return b"id;customer;when;total\n1;2;2026-01-01;9.99\n"
    if kind == "bad_rows":
        header = ",".join(ORDERS_CSV_COLUMNS)
        return f"{header}\n1,7,2026-01-02,eu,10.50\nnot-a-number,7,yesterday,mars,-3\n".encode()
    raise ValueError(f"unknown malformed kind {kind!r}; use 'bad_header' or 'bad_rows'")


def _row_error(row: dict[str, str]) -> str | None:
    """Why one CSV row violates the contract, or None when it is fine."""
    try:
        int(row["order_id"])
        int(row["customer_id"])
        dt.date.fromisoformat(row["order_date"])
        if float(row["amount"]) < 0:
            return f"negative amount {row['amount']!r}"
    except (TypeError, ValueError) as exc:
        return str(exc)
    if row["region"] not in REGIONS:
        return f"unknown region {row['region']!r}"
    return None


class FileTooLargeError(MalformedFileError):
    """A landing file over the size limit: rejected before (or while) reading it, never whole."""

    def __init__(self, size: int | None, limit: int):
        shown = f"{size:,} bytes" if size is not None else "more bytes than announced"
        super().__init__(
            f"file too large: {shown}, over the landing limit of {limit:,} bytes "
            "(LandingZone.max_file_bytes); split it into smaller files or raise the limit"
        )
        self.size = size
        self.limit = limit


class _LimitedReader(io.RawIOBase):
    """A binary stream that raises FileTooLargeError once more than ``limit`` bytes came through.

    Guards the parser even when the size announced by S3 was wrong (or the object grew).
    """

    def __init__(self, stream: BinaryIO, limit: int):
        self._stream = stream
        self._limit = limit
        self._seen = 0

    def readable(self) -> bool:
        """Always readable (io protocol)."""
        return True

    def readinto(self, buffer) -> int:
        """Fill ``buffer`` from the wrapped stream, counting bytes against the limit."""
        chunk = self._stream.read(len(buffer))
        self._seen += len(chunk)
        if self._seen > self._limit:
            raise FileTooLargeError(None, self._limit)
        buffer[: len(chunk)] = chunk
        return len(chunk)


# Dagster rejects these substrings in static partition keys ("..." is the UI's range syntax,
# control characters do not display) but not in dynamic ones: checked here instead.
_FORBIDDEN_SUBSTRINGS = {"...": "'...' (the UI's partition range syntax)"}
# Partition keys end up in Postgres indexes (tags, dynamic partitions) and in lake object keys
# (SeaweedFS: 255 bytes per path segment, AWS: 1,024 per key); this leaves room for both.
MAX_NAME_BYTES = 200


def name_problem(name: str) -> str | None:
    """Why a landing file name cannot be a partition key (and lake object name), or None."""
    for char in name:
        if unicodedata.category(char) in ("Cc", "Cs"):
            return f"file name contains the control character {char!r}"
    for substring, what in _FORBIDDEN_SUBSTRINGS.items():
        if substring in name:
            return f"file name contains {what}"
    size = len(name.encode("utf-8", errors="surrogatepass"))
    if size > MAX_NAME_BYTES:
        return f"file name is {size} bytes long (UTF-8), over the limit of {MAX_NAME_BYTES}"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "file name has an empty, '.' or '..' path segment"
    return None


def parse_orders_csv(content: bytes | BinaryIO, max_bytes: int | None = None) -> pd.DataFrame:
    """Parse a landing file into a typed DataFrame or raise :class:`MalformedFileError`.

    ``content`` is the file's bytes or a binary stream (an S3 body): a stream is parsed as
    it arrives, and with ``max_bytes`` reading stops with :class:`FileTooLargeError` as soon
    as the limit is passed, so an oversized file is never held in memory.
    """
    stream = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    if max_bytes is not None:
        stream = _LimitedReader(stream, max_bytes)
    text = io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8-sig", newline="")
    try:
        return _parse_rows(csv.reader(text))
    except UnicodeDecodeError as exc:
        raise MalformedFileError(f"not UTF-8 text: {exc}") from None
    except csv.Error as exc:
        raise MalformedFileError(f"not a readable CSV file: {exc}") from None


def _parse_rows(reader) -> pd.DataFrame:
    """Validate the header and every row of a csv.reader; build the typed frame."""
    header = tuple(next(reader, ()))
    if not header:
        raise MalformedFileError("empty file: no header line and no data")
    if header != ORDERS_CSV_COLUMNS:
        raise MalformedFileError(f"bad header {','.join(header)!r}; expected {','.join(ORDERS_CSV_COLUMNS)!r}")
    # Column lists rather than one dict per row: a fraction of the memory for big files.
    columns: list[list[str]] = [[] for _ in ORDERS_CSV_COLUMNS]
    errors: list[str] = []
    n_errors = 0
    for line, values in enumerate(reader, start=2):
        if len(values) != len(ORDERS_CSV_COLUMNS):
            err: str | None = f"{len(values)} fields, expected {len(ORDERS_CSV_COLUMNS)}"
        else:
            err = _row_error(dict(zip(ORDERS_CSV_COLUMNS, values, strict=True)))
        if err is not None:
            n_errors += 1
            if len(errors) < MAX_REPORTED_ROW_ERRORS:
                errors.append(f"line {line}: {err}")
            continue
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    if n_errors:
        raise MalformedFileError(f"{n_errors} unparseable row(s): {'; '.join(errors)}")
    if not columns[0]:
        raise MalformedFileError("no data rows")
    frame = pd.DataFrame(dict(zip(ORDERS_CSV_COLUMNS, columns, strict=True)))
    return frame.astype({"order_id": "int64", "customer_id": "int64", "amount": "float64"}).assign(
        order_date=lambda f: pd.to_datetime(f["order_date"])
    )
