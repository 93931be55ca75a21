"""The landing CSV parser on its own: streaming with a size limit, empty files, names."""

import io
import itertools

import pytest

from app.lib.landing_files import (
    MAX_NAME_BYTES,
    FileTooLargeError,
    MalformedFileError,
    make_orders_csv,
    name_problem,
    parse_orders_csv,
)


class EndlessCsv(io.RawIOBase):
    """A stream that never ends (valid rows forever): only a streaming, limited parser survives it."""

    def __init__(self):
        header = make_orders_csv(1).split(b"\n", 1)[0] + b"\n"
        self._chunks = itertools.chain([header], itertools.repeat(b"1,2,2026-01-01,eu,9.5\n"))
        self.served = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = next(self._chunks)
        self.served += len(chunk)
        return chunk


def test_a_stream_over_the_limit_stops_at_the_limit():
    """The parser reads no further than max_bytes (plus one buffer) and names the limit."""
    stream = EndlessCsv()
    with pytest.raises(FileTooLargeError, match="over the landing limit of 100,000 bytes"):
        parse_orders_csv(stream, max_bytes=100_000)
    assert stream.served < 100_000 + 64 * 1024


def test_a_stream_parses_like_bytes():
    """Streaming gives the same frame as parsing the bytes whole."""
    body = make_orders_csv(50, seed=3)
    assert parse_orders_csv(io.BytesIO(body), max_bytes=len(body)).equals(parse_orders_csv(body))


@pytest.mark.parametrize("before", [b"\n", b"\r\n\r\n", b"\xef\xbb\xbf\n"], ids=["lf", "crlf-twice", "bom-then-lf"])
def test_empty_lines_before_the_header_are_skipped(before):
    """The contract skips empty lines anywhere: before the header as after it."""
    body = make_orders_csv(5, seed=1)
    assert parse_orders_csv(before + body).equals(parse_orders_csv(body))


@pytest.mark.parametrize(("content", "reason"), [(b"\n\n", "empty file"), (b"\r\n \n", "bad header")])
def test_only_empty_lines_or_a_blank_looking_header_are_refused(content, reason):
    """Skipping stops at the first line with content: nothing but empty lines is an empty file."""
    with pytest.raises(MalformedFileError, match=reason):
        parse_orders_csv(content)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"order_id,customer_id,order_date,region,amount\n", "no data rows"),
        (
            b"order_id,customer_id,order_date,region,amount\n1,2,2026-01-01,eu\n",
            "1 unparseable row(s): line 2: 4 fields",
        ),
        (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    ],
)
def test_malformed_content_names_the_problem(content, reason):
    """Each kind of bad file raises MalformedFileError with a reason saying what is wrong."""
    with pytest.raises(MalformedFileError) as raised:
        parse_orders_csv(content)
    assert raised.value.reason.startswith(reason), raised.value.reason


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("line\nbreak.csv", "control character '\\n'"),
        ("tab\there.csv", "control character '\\t'"),
        ("nul\x00.csv", "control character '\\x00'"),
        ("range...syntax.csv", "'...'"),
        ("x" * (MAX_NAME_BYTES + 1) + ".csv", f"over the limit of {MAX_NAME_BYTES}"),
        ("ü" * MAX_NAME_BYTES + ".csv", f"over the limit of {MAX_NAME_BYTES}"),
        ("a//b.csv", "empty, '.' or '..' path segment"),
        ("../escape.csv", "empty, '.' or '..' path segment"),
    ],
)
def test_names_that_cannot_be_partition_keys(name, problem):
    """Names Dagster or the lake cannot take are refused with a reason naming the problem."""
    assert problem in (name_problem(name) or ""), name_problem(name)


@pytest.mark.parametrize(
    "name", ["zürich-订单.csv", "a|b.csv", "a,b.csv", "Orders.CSV", "with space.csv", "sub/dir.csv"]
)
def test_unusual_but_usable_names_are_accepted(name):
    """Non-ASCII, separators, case and spaces are fine as partition keys."""
    assert name_problem(name) is None
