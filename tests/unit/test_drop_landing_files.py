"""The drop tool writes through the environment's landing zone configuration."""

from app.drop_landing_files import main
from app.lib.landing_files import parse_orders_csv
from app.resources.s3_store import S3Store


def test_drop_tool_uploads_to_incoming(platform_env, s3_store: S3Store):
    """With PLATFORM_ENV=local and S3 variables set, the file lands under incoming/."""
    env = platform_env("local", LANDING_BUCKET="drop-tool-landing")
    key = main(["duplicates", "--name", "demo.csv", "--rows", "6", "--ensure-bucket"])
    assert key == "incoming/demo.csv"
    frame = parse_orders_csv(s3_store.get_bytes(env["LANDING_BUCKET"], key))
    assert len(frame) == 6 and not frame["order_id"].is_unique
