"""The drop tool writes through the environment's landing zone configuration."""

import argparse

import pytest

from app.drop_landing_files import main, parse_size
from app.lib.landing_files import parse_orders_csv
from app.resources.landing_zone import DEFAULT_MAX_FILE_BYTES
from dagster_platform.s3_store import S3Store


def test_drop_tool_uploads_to_incoming(platform_env, s3_view):
    """With PLATFORM_ENV=local and S3 variables set, the file lands under incoming/."""
    env = platform_env("local", LANDING_BUCKET="drop-tool-landing")
    key = main(["duplicates", "--name", "demo.csv", "--rows", "6", "--ensure-bucket"])
    assert key == "incoming/demo.csv"
    frame = parse_orders_csv(s3_view.read(env["LANDING_BUCKET"], key))
    assert len(frame) == 6 and not frame["order_id"].is_unique


def test_oversized_file_is_well_formed_and_just_over_the_limit(platform_env, s3_store: S3Store, s3_view):
    """`oversized` streams a valid CSV 1 MiB over max_file_bytes: only its size is wrong."""
    env = platform_env("local", LANDING_BUCKET="drop-tool-oversized")
    key = main(["oversized", "--name", "big.csv", "--ensure-bucket"])
    assert s3_view.sizes(env["LANDING_BUCKET"], key) == {key: DEFAULT_MAX_FILE_BYTES + 1024 * 1024}
    head = s3_store.client().get_object(Bucket=env["LANDING_BUCKET"], Key=key, Range="bytes=0-4095")["Body"].read()
    complete_lines = head[: head.rindex(b"\n") + 1]
    assert len(parse_orders_csv(complete_lines)) > 50


@pytest.mark.parametrize(("text", "size"), [("1048576", 1048576), ("70m", 70 * 1024**2), ("2g", 2 * 1024**3)])
def test_sizes_read_like_docker_mem_limits(text, size):
    """`--size` takes bytes or Docker's binary units, as dagster.yaml's run `mem_limit` does."""
    assert parse_size(text) == size


def test_an_oversized_file_must_be_over_the_limit(platform_env, s3_view):
    """A `--size` at or below max_file_bytes would not be oversized: refused, naming the limit."""
    platform_env("local", LANDING_BUCKET="drop-tool-oversized")
    with pytest.raises(ValueError, match=f"not over max_file_bytes \\({DEFAULT_MAX_FILE_BYTES}\\)"):
        main(["oversized", "--name", "small.csv", "--size", "64m", "--ensure-bucket"])
    with pytest.raises(argparse.ArgumentTypeError, match="not a size"):
        parse_size("lots")
