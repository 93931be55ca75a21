"""The landing contract, property-based: generated valid files load with exactly their rows,
mutated ones are refused with a reason; through the parser alone (many examples) and
through the sensor, the runs, the real S3 server and DuckDB (a few batches)."""

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.lib.landing_files import (
    MAX_DATE,
    MAX_ID,
    MIN_DATE,
    ORDERS_CSV_COLUMNS,
    MalformedFileError,
    parse_orders_csv,
)
from app.lib.shop_data import REGIONS
from app.resources.landing_zone import REASON_SUFFIX

BOM = "\ufeff"
TABLE = "landing.warehouse_landed_orders"

Row = tuple[int, int, dt.date, str, float]


@dataclass
class CsvFile:
    """A generated landing file: its bytes, and its rows when it follows the contract (else None)."""

    content: bytes
    rows: list[Row] | None
    mutation: str = ""


def amount_texts() -> st.SearchStrategy[str]:
    """Amounts in plain decimal notation, 0 .. under 10**12, with up to 6 decimals."""
    fraction = st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=6).map(lambda f: "." + f))
    return st.builds(lambda whole, frac: f"{whole}{frac}", st.integers(0, 10**12 - 1), fraction)


def rows(unique_ids: bool) -> st.SearchStrategy[list[list[str]]]:
    """Valid rows as their CSV field texts."""
    row = st.tuples(
        st.integers(0, MAX_ID).map(str),
        st.integers(0, MAX_ID).map(str),
        st.dates(MIN_DATE, MAX_DATE).map(dt.date.isoformat),
        st.sampled_from(REGIONS),
        amount_texts(),
    ).map(list)
    return st.lists(row, min_size=1, max_size=8, unique_by=(lambda r: r[0]) if unique_ids else None)


def typed(fields: list[str]) -> Row:
    """What a valid row must load as."""
    return (int(fields[0]), int(fields[1]), dt.date.fromisoformat(fields[2]), fields[3], float(fields[4]))


def render(draw, table: list[list[str]]) -> bytes:
    """Write rows as the contract allows: optional BOM, LF/CRLF/CR, optional quoting, empty lines."""
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quote_all = draw(st.booleans())
    lines = [""] * draw(st.integers(0, 2))  # empty lines before the header are skipped too
    for fields in table:
        quoted = [f'"{f}"' if quote_all or draw(st.booleans()) else f for f in fields]
        lines.append(",".join(quoted))
        if draw(st.integers(0, 4)) == 0:
            lines.append("")  # an empty line, skipped by the parser
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    return ((BOM if draw(st.booleans()) else "") + text).encode()


@st.composite
def valid_files(draw, unique_ids: bool = False) -> CsvFile:
    """A file that follows the contract."""
    table = draw(rows(unique_ids))
    return CsvFile(render(draw, [list(ORDERS_CSV_COLUMNS), *table]), [typed(r) for r in table])


def other_iso_forms(day: dt.date) -> list[str]:
    """Every other spelling of ``day`` that date.fromisoformat accepts (all refused by the contract)."""
    year, week, weekday = day.isocalendar()
    return [
        day.strftime("%Y%m%d"),
        f"{year:04d}-W{week:02d}-{weekday}",
        f"{year:04d}W{week:02d}{weekday}",
        f"{year:04d}-W{week:02d}",
        f"{year:04d}W{week:02d}",
    ]


BAD_AMOUNTS = ["nan", "NaN", "inf", "-inf", "Infinity", "-1.5", "-0", "1e3", "1E3", "9" * 400, "1e400", "+1"]
BAD_AMOUNTS += [" 1", "1 ", "1_000", "\uff11", "1.", ".5", "1,5", "", "10000000000000"]
BAD_IDS = ["-1", str(MAX_ID + 1), "9" * 25, "1.0", "", " 1", "\u0663", "0x1", "1e3"]
BAD_REGIONS = ["EU", "mars", " eu", "eu ", "", "e\u00fc"]


@st.composite
def mutated_files(draw) -> CsvFile:
    """A valid file with one change that breaks the contract."""
    table = [list(ORDERS_CSV_COLUMNS), *draw(rows(unique_ids=False))]
    row = draw(st.integers(1, len(table) - 1))
    kind = draw(
        st.sampled_from(
            [
                "date",
                "amount",
                "id",
                "region",
                "missing column",
                "extra column",
                "header",
                "broken quote",
                "blank-looking line",
            ]
        )
    )
    if kind == "date":
        day = dt.date.fromisoformat(table[row][2])
        table[row][2] = draw(st.sampled_from([*other_iso_forms(day), "2026-02-30", "1677-12-31", "2262-01-01"]))
    elif kind == "amount":
        table[row][4] = draw(st.sampled_from(BAD_AMOUNTS))
    elif kind == "id":
        table[row][draw(st.sampled_from([0, 1]))] = draw(st.sampled_from(BAD_IDS))
    elif kind == "region":
        table[row][3] = draw(st.sampled_from(BAD_REGIONS))
    elif kind == "missing column":
        which = draw(st.sampled_from([0, row]))
        del table[which][draw(st.integers(0, 4))]
    elif kind == "extra column":
        table[draw(st.sampled_from([0, row]))].append(draw(st.sampled_from(["", "x", "1"])))
    elif kind == "header":
        table[0] = draw(
            st.sampled_from(
                [
                    [c.upper() for c in ORDERS_CSV_COLUMNS],
                    list(reversed(ORDERS_CSV_COLUMNS)),
                    # Two BOMs in the field: at least one is left after the parser strips the
                    # file's own, whether render() writes one or not.
                    [BOM + BOM + ORDERS_CSV_COLUMNS[0], *ORDERS_CSV_COLUMNS[1:]],
                    [" " + ORDERS_CSV_COLUMNS[0], *ORDERS_CSV_COLUMNS[1:]],
                ]
            )
        )
    elif kind == "broken quote":
        table[row][draw(st.integers(0, 4))] = draw(st.sampled_from(['"1', '1"2', '"1"x']))
    else:
        table.insert(row, [draw(st.sampled_from([" ", "\t", '""']))])
    return CsvFile(render(draw, table), None, kind)


@st.composite
def undecodable_files(draw) -> CsvFile:
    """A valid file whose bytes are no longer UTF-8: one stray byte, or the whole file re-encoded."""
    good = draw(valid_files())
    if draw(st.booleans()):
        return CsvFile(good.content.decode().encode(draw(st.sampled_from(["utf-16", "utf-32"]))), None, "re-encoded")
    at = draw(st.integers(0, len(good.content)))
    stray = draw(st.sampled_from([b"\xff", b"\xe9", b"\xc3", b"\x80", b"\xed\xa0\x80"]))  # the last: a surrogate
    return CsvFile(good.content[:at] + stray + good.content[at:], None, "stray bytes")


def any_files(unique_ids: bool) -> st.SearchStrategy[CsvFile]:
    """Valid, mutated and undecodable files, and the two degenerate ones."""
    return st.one_of(
        valid_files(unique_ids),
        mutated_files(),
        undecodable_files(),
        st.sampled_from([CsvFile(b"", None, "empty"), CsvFile(",".join(ORDERS_CSV_COLUMNS).encode(), None, "no rows")]),
    )


def frame_rows(frame: pd.DataFrame) -> list[Row]:
    """A loaded frame as rows of Python values, in file order."""
    columns = [frame[c].tolist() for c in ("order_id", "customer_id")]
    days = [ts.date() for ts in pd.to_datetime(frame["order_date"])]
    return list(zip(*columns, days, frame["region"].tolist(), frame["amount"].tolist(), strict=True))


@settings(max_examples=400)
@given(any_files(unique_ids=False))
def test_the_parser_accepts_exactly_the_contract(file: CsvFile):
    """Valid files parse to exactly their rows; every mutation raises MalformedFileError with a reason,
    never another exception."""
    if file.rows is None:
        with pytest.raises(MalformedFileError) as refused:
            parse_orders_csv(file.content)
        assert refused.value.reason, file
    else:
        assert frame_rows(parse_orders_csv(file.content)) == file.rows


_names = (f"prop-{uuid.uuid4().hex[:8]}-{n}.csv" for n in itertools.count())


# Without shrinking: each example is a sensor tick and runs on S3 and DuckDB, and shrinking a
# failure took over five minutes; the parser-only test above shrinks the same strategies fast.
@settings(
    max_examples=6,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(any_files(unique_ids=True), min_size=1, max_size=4))
def test_every_file_of_a_batch_is_published_with_its_rows_or_quarantined_with_a_reason(
    batch, land, landing_zone, warehouse, s3_view
):
    """Through sensor, runs, S3 and DuckDB: each file ends in exactly one of "published with
    exactly its rows" or "quarantined with a reason", and nothing stays in incoming/."""
    files = {next(_names): file for file in batch}
    land({name: file.content for name, file in files.items()})
    stored = s3_view.keys(landing_zone.bucket)
    for name, file in files.items():
        published = f"processed/{name}" in stored
        quarantined = f"quarantine/{name}" in stored
        assert f"incoming/{name}" not in stored, file
        assert published != quarantined, file
        if file.rows is None:
            assert quarantined, file
            reason = s3_view.read(landing_zone.bucket, f"quarantine/{name}{REASON_SUFFIX}").decode()
            assert reason.split("\n", 1)[0].strip(), file
        else:
            assert published, file
            loaded = warehouse.query(
                f"SELECT order_id, customer_id, order_date, region, amount FROM {TABLE} "
                f"WHERE source_file = '{name}' ORDER BY order_id"
            )
            assert frame_rows(loaded) == sorted(file.rows), file
