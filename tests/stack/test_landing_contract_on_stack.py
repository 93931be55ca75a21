"""The landing contract on the running stack: one mixed batch of files that follow it (BOM,
CRLF, quoting, empty lines before the header and between rows) and files that break it in
every way the contract names (dates in other ISO forms, NaN/inf/negative/huge numbers, ids
past int64, missing and extra columns, a wrong header, non-UTF-8 bytes). Each file ends
either published with exactly its rows or quarantined with its reason, and nothing is left
in incoming/ (docs/landing-contract.md)."""

import pytest

from app.resources.landing_zone import REASON_SUFFIX

pytestmark = pytest.mark.stack

HEADER = b"order_id,customer_id,order_date,region,amount"
# name -> (body, the rows it must load as: order_id, customer_id, order_date, region, amount)
GOOD = {
    "contract-bom-crlf.csv": (
        b"\xef\xbb\xbf" + HEADER + b"\r\n1,7,2026-01-02,eu,10.50\r\n\r\n2,8,2026-01-03,us,0\r\n",
        [["1", "7", "2026-01-02", "eu", "10.5"], ["2", "8", "2026-01-03", "us", "0.0"]],
    ),
    "contract-quoted.csv": (
        HEADER + b'\n"3","9","2026-02-28","apac","1.25"\n',
        [["3", "9", "2026-02-28", "apac", "1.25"]],
    ),
    "contract-leading-empty-lines.csv": (
        b"\n\n" + HEADER + b"\n9223372036854775807,1,2261-12-31,eu,1000000000000\n",
        [["9223372036854775807", "1", "2261-12-31", "eu", "1000000000000.0"]],
    ),
}
# name -> (body, what its quarantine reason must say)
BAD = {
    # The second row's form once made pd.to_datetime raise after validation passed.
    "contract-basic-date.csv": (HEADER + b"\n1,7,2026-01-02,eu,1\n2,7,20260102,eu,1\n", b"is not a YYYY-MM-DD date"),
    "contract-week-date.csv": (HEADER + b"\n1,7,2026-W01-2,eu,1\n", b"is not a YYYY-MM-DD date"),
    "contract-nan.csv": (HEADER + b"\n1,7,2026-01-02,eu,nan\n", b"amount 'nan' is not a non-negative decimal"),
    "contract-inf.csv": (HEADER + b"\n1,7,2026-01-02,eu,inf\n", b"amount 'inf' is not a non-negative decimal"),
    "contract-negative.csv": (HEADER + b"\n1,7,2026-01-02,eu,-3\n", b"amount '-3' is not a non-negative decimal"),
    "contract-huge-amount.csv": (HEADER + b"\n1,7,2026-01-02,eu,1" + b"0" * 400 + b"\n", b"is over 1,000,000,000,000"),
    "contract-id-past-int64.csv": (
        HEADER + b"\n9223372036854775808,7,2026-01-02,eu,1\n",
        b"order_id '9223372036854775808' is not an integer from 0 to 9223372036854775807",
    ),
    "contract-missing-column.csv": (HEADER + b"\n1,7,2026-01-02,eu\n", b"line 2: 4 fields, expected 5"),
    "contract-extra-column.csv": (HEADER + b"\n1,7,2026-01-02,eu,1,x\n", b"line 2: 6 fields, expected 5"),
    "contract-bad-header.csv": (b"order_id,customer_id,order_date,region\n1,7,2026-01-02,eu\n", b"bad header"),
    "contract-latin-1.csv": (HEADER + b"\n1,7,2026-01-02,eu,1\n# caf\xe9\n", b"not UTF-8 text"),
}


def test_a_mixed_batch_is_published_or_quarantined_file_by_file(stack, landing):
    """Every good file's run succeeds with exactly its rows in the warehouse; every bad file's
    run fails with the file in quarantine/ and a reason naming its problem; incoming/ holds
    none of them afterwards, and no bad file left a row behind."""
    names = [*GOOD, *BAD]
    stack.s3_put_many(landing.bucket, {f"incoming/{name}": body for name, (body, _) in {**GOOD, **BAD}.items()})
    statuses = {name: landing.finished_run(name)["status"] for name in names}
    assert statuses == {**dict.fromkeys(GOOD, "SUCCESS"), **dict.fromkeys(BAD, "FAILURE")}
    table = stack.warehouse_table(names)
    assert table == {**{name: rows for name, (_, rows) in GOOD.items()}, **{name: [] for name in BAD}}
    reasons = stack.s3_texts(landing.bucket, "quarantine/contract-", REASON_SUFFIX)
    for name, (_, problem) in BAD.items():
        assert problem.decode() in reasons.get(f"quarantine/{name}{REASON_SUFFIX}", ""), (name, reasons)
    assert not {f"quarantine/{name}{REASON_SUFFIX}" for name in GOOD} & set(reasons), reasons
    left = landing.keys("incoming/")
    assert not left & {f"incoming/{name}" for name in names}, left
