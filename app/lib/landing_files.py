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
                (dt.date(2026, 1, 1) + dt.timedelta(days=int(d))).isoformat()
                for d in rng.integers(0, 60, size=n_rows)
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


def parse_orders_csv(content: bytes) -> pd.DataFrame:
    """Parse a landing file into a typed DataFrame or raise :class:`MalformedFileError`."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFileError(f"not UTF-8 text: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != ORDERS_CSV_COLUMNS:
        raise MalformedFileError(
            f"bad header {','.join(header)!r}; expected {','.join(ORDERS_CSV_COLUMNS)!r}"
        )
    rows = list(reader)
    errors = [
        f"line {line}: {err}"
        for line, row in enumerate(rows, start=2)
        if (err := _row_error(row)) is not None
    ]
    if errors:
        shown = "; ".join(errors[:MAX_REPORTED_ROW_ERRORS])
        raise MalformedFileError(f"{len(errors)} unparseable row(s): {shown}")
    if not rows:
        raise MalformedFileError("no data rows")
    frame = pd.DataFrame(rows, columns=list(ORDERS_CSV_COLUMNS))
    return frame.astype({"order_id": "int64", "customer_id": "int64", "amount": "float64"}).assign(
        order_date=lambda f: pd.to_datetime(f["order_date"])
    )
