"""The CSV contract of files arriving in the landing zone: writers for samples, one typed parser.

The parser is the contract: it validates and builds the DataFrame in one pass, so a file
it accepts is a file that loads. The rules, exactly (docs/landing-contract.md):

- Encoding: UTF-8, with or without one leading byte-order mark; any other bytes reject
  the file. Lines end in LF, CRLF or CR; completely empty lines are skipped.
- CSV: comma-separated, ``"`` quotes fields (``""`` inside a quoted field is one ``"``);
  quoting is optional and bad quoting rejects the file.
- Header, exactly, in this order: ``order_id,customer_id,order_date,region,amount``.
- ``order_id``, ``customer_id``: 1 to 19 ASCII decimal digits (no sign, space or ``_``),
  0 to 2**63-1 (int64).
- ``order_date``: ``YYYY-MM-DD`` (strict: ``20260102``, ``2026-W01-2`` or a time part are
  refused), a real calendar day from 1678-01-01 to 2261-12-31 (what a nanosecond
  timestamp holds).
- ``region``: one of ``eu``, ``us``, ``apac`` (case and spaces matter).
- ``amount``: plain decimal notation, ``digits`` or ``digits.digits`` (no sign, exponent,
  ``nan`` or ``inf``), at most 1,000,000,000,000.
- At least one data row; every row has exactly five fields.

Anything else is *malformed* and the file goes to quarantine. Duplicate ``order_id``s are
well-formed (the parser accepts them): catching those is the job of the blocking asset
check, not of the parser.
"""

import csv
import datetime as dt
import io
import re
import unicodedata
from typing import BinaryIO

import numpy as np
import pandas as pd

from app.lib.shop_data import REGIONS

ORDERS_CSV_COLUMNS = ("order_id", "customer_id", "order_date", "region", "amount")
MAX_REPORTED_ROW_ERRORS = 5
MAX_ID = 2**63 - 1  # int64, the column type in the lake and the warehouse
# datetime64[ns] (the frame's date type) spans 1677-09-21 .. 2262-04-11: whole years inside it.
MIN_DATE = dt.date(1678, 1, 1)
MAX_DATE = dt.date(2261, 12, 31)
MAX_AMOUNT = 1_000_000_000_000.0
# [0-9], not \d: \d also matches other scripts' digits, which int() would accept.
_ID = re.compile(r"[0-9]{1,19}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


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
    as the limit is passed, so an oversized file is never held in memory. The frame's
    columns: ``order_id``/``customer_id`` int64, ``order_date`` datetime64[ns], ``region``
    str, ``amount`` float64.
    """
    stream: BinaryIO = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    raw = _LimitedReader(stream, max_bytes) if max_bytes is not None else stream
    text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8-sig", newline="")  # type: ignore[type-var]
    try:
        return _parse_rows(csv.reader(text, strict=True))
    except UnicodeDecodeError as exc:
        raise MalformedFileError(f"not UTF-8 text: {exc}") from None
    except csv.Error as exc:
        raise MalformedFileError(f"not a readable CSV file: {exc}") from None


def _parse_id(name: str, text: str) -> int:
    """An id column's value; ValueError says why it is not one."""
    if not _ID.fullmatch(text) or int(text) > MAX_ID:
        raise ValueError(f"{name} {text!r} is not an integer from 0 to {MAX_ID}")
    return int(text)


def _parse_date(text: str) -> int:
    """``order_date`` as days since 1970-01-01; ValueError says why it is not a date."""
    if not _DATE.fullmatch(text):
        raise ValueError(f"order_date {text!r} is not a YYYY-MM-DD date")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"order_date {text!r} is not a calendar day") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"order_date {text!r} is outside {MIN_DATE} .. {MAX_DATE}")
    return day.toordinal() - _EPOCH_ORDINAL


def _parse_region(text: str) -> str:
    """``region``; ValueError when it is not a known region."""
    if text not in REGIONS:
        raise ValueError(f"unknown region {text!r}, expected one of {', '.join(REGIONS)}")
    return text


def _parse_amount(text: str) -> float:
    """``amount``; ValueError unless plain decimal notation from 0 to MAX_AMOUNT."""
    if not _AMOUNT.fullmatch(text):
        raise ValueError(f"amount {text!r} is not a non-negative decimal (digits, optionally .digits)")
    value = float(text)
    if value > MAX_AMOUNT:  # also catches a digit string too long to be finite
        raise ValueError(f"amount {text!r} is over {MAX_AMOUNT:,.0f}")
    return value


class _Columns:
    """The typed columns of a file, filled row by row (lists: a fraction of a DataFrame per row)."""

    def __init__(self) -> None:
        self.order_id: list[int] = []
        self.customer_id: list[int] = []
        self.order_day: list[int] = []
        self.region: list[str] = []
        self.amount: list[float] = []

    def add(self, values: list[str]) -> None:
        """Parse one row; raise ValueError (and add nothing) when a field breaks the contract."""
        if len(values) != len(ORDERS_CSV_COLUMNS):
            raise ValueError(f"{len(values)} fields, expected {len(ORDERS_CSV_COLUMNS)}")
        order_id, customer_id, order_date, region, amount = values
        typed: tuple[int, int, int, str, float] = (
            _parse_id("order_id", order_id),
            _parse_id("customer_id", customer_id),
            _parse_date(order_date),
            _parse_region(region),
            _parse_amount(amount),
        )
        self.order_id.append(typed[0])
        self.customer_id.append(typed[1])
        self.order_day.append(typed[2])
        self.region.append(typed[3])
        self.amount.append(typed[4])

    def frame(self) -> pd.DataFrame:
        """The DataFrame of every row added (no further parsing: the values are typed already)."""
        return pd.DataFrame(
            {
                "order_id": np.array(self.order_id, dtype=np.int64),
                "customer_id": np.array(self.customer_id, dtype=np.int64),
                "order_date": np.array(self.order_day, dtype="datetime64[D]").astype("datetime64[ns]"),
                "region": pd.Series(self.region, dtype=object),
                "amount": np.array(self.amount, dtype=np.float64),
            }
        )


def _parse_rows(reader) -> pd.DataFrame:
    """Check the header, parse every row of a csv.reader into typed columns; build the frame."""
    # Empty lines are skipped anywhere, before the header too.
    header = next((tuple(values) for values in reader if values), ())
    if not header:
        raise MalformedFileError("empty file: no header line and no data")
    if header != ORDERS_CSV_COLUMNS:
        raise MalformedFileError(f"bad header {','.join(header)!r}; expected {','.join(ORDERS_CSV_COLUMNS)!r}")
    columns = _Columns()
    errors: list[str] = []
    n_errors = 0
    for values in reader:
        if not values:
            continue  # an empty line
        try:
            columns.add(values)
        except ValueError as exc:
            n_errors += 1
            if len(errors) < MAX_REPORTED_ROW_ERRORS:
                errors.append(f"line {reader.line_num}: {exc}")
    if n_errors:
        raise MalformedFileError(f"{n_errors} unparseable row(s): {'; '.join(errors)}")
    if not columns.order_id:
        raise MalformedFileError("no data rows")
    return columns.frame()
