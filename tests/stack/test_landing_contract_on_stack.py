"""The landing contract on the running stack: a mixed batch of files that follow it (BOM,
CRLF, quoting, empty lines) and files that the old two-parser code let through to a crash
(dates in other ISO forms, NaN/inf amounts) ends with every file published or quarantined
with its reason, and nothing left in incoming/ (docs/landing-contract.md)."""

import pytest

pytestmark = pytest.mark.stack

HEADER = "order_id,customer_id,order_date,region,amount"
GOOD = {
    "contract-bom-crlf.csv": ("\ufeff" + HEADER + "\r\n1,7,2026-01-02,eu,10.50\r\n\r\n2,8,2026-01-03,us,0\r\n", 2),
    "contract-quoted.csv": (HEADER + '\n"3","9","2026-02-28","apac","1.25"\n', 1),
}
BAD = {
    # The second row's form once made pd.to_datetime raise after validation passed.
    "contract-basic-date.csv": (HEADER + "\n1,7,2026-01-02,eu,1\n2,7,20260102,eu,1\n", "is not a YYYY-MM-DD date"),
    "contract-week-date.csv": (HEADER + "\n1,7,2026-W01-2,eu,1\n", "is not a YYYY-MM-DD date"),
    "contract-nan.csv": (HEADER + "\n1,7,2026-01-02,eu,nan\n", "amount 'nan' is not a non-negative decimal"),
    "contract-inf.csv": (HEADER + "\n1,7,2026-01-02,eu,inf\n", "amount 'inf' is not a non-negative decimal"),
}


def test_a_mixed_batch_is_published_or_quarantined_file_by_file(stack, landing):
    """Every good file's run succeeds with its rows; every bad file's run fails with the file in
    quarantine/ and a reason naming its problem; incoming/ holds none of them afterwards."""
    for name, (body, _) in {**GOOD, **BAD}.items():
        stack.s3_put(landing.bucket, f"incoming/{name}", body)
    for name, (_, rows) in GOOD.items():
        assert landing.finished_run(name)["status"] == "SUCCESS", name
        assert stack.warehouse_rows(name) == rows, name
    for name, (_, problem) in BAD.items():
        assert landing.finished_run(name)["status"] == "FAILURE", name
        assert problem in stack.s3_cat(landing.bucket, f"quarantine/{name}.reason.txt"), name
    left = landing.keys("incoming/")
    assert not left & {f"incoming/{name}" for name in {**GOOD, **BAD}}, left
