"""One S3 configuration for the lake and the landing zone: a private CA and temporary
credentials hold for both (the real S3 server behind a TLS front made here, with a CA
generated in the test)."""

import dagster as dg
import pytest
from botocore.exceptions import ClientError, SSLError

from app.defs.orders.assets import raw_orders, staged_orders
from app.io_managers.s3_parquet import S3ParquetIOManager
from app.lib.landing_files import make_orders_csv
from app.resources import by_environment
from app.resources.landing_zone import LandingZone
from dagster_platform.environment import Environment
from dagster_platform.s3_store import S3Store


@pytest.fixture
def store_via_front(tls_front, s3_store):
    """An S3Store on the TLS front, with the given extra settings."""

    def build(**settings) -> S3Store:
        return S3Store(
            endpoint_url=tls_front.endpoint,
            aws_access_key_id=s3_store.aws_access_key_id,
            aws_secret_access_key=s3_store.aws_secret_access_key,
            **settings,
        )

    return build


@pytest.fixture
def use_lake_and_landing(fresh_bucket, shop):
    """Write and read the lake (two assets through the S3 IO manager) and land, list, read and
    file one landing object, all through ``store``."""

    def use(store: S3Store) -> None:
        lake = S3ParquetIOManager(store=store, bucket=fresh_bucket("lake"))
        result = dg.materialize([raw_orders, staged_orders], resources={"io_manager": lake, "shop": shop})
        assert result.success
        zone = LandingZone(store=store, bucket=fresh_bucket("landing"))
        key = zone.drop("via-front.csv", make_orders_csv(3))
        [listed] = zone.list_incoming()
        opened = zone.open(key, listed.etag)
        assert opened.body.read() == make_orders_csv(3)
        assert zone.mark_processed(key, listed.etag) == "processed/via-front.csv"

    return use


def test_a_private_ca_is_trusted_by_the_lake_and_the_landing_zone(
    store_via_front, private_ca, use_lake_and_landing, fresh_bucket, shop
):
    """``ca_bundle`` lets both talk HTTPS to an endpoint signed by a private CA..."""
    use_lake_and_landing(store_via_front(ca_bundle=str(private_ca[0])))


def test_without_the_ca_both_refuse_the_endpoint(store_via_front, fresh_bucket, shop):
    """...and without it, both refuse the endpoint (so the CA is what made it work)."""
    store = store_via_front()
    lake = S3ParquetIOManager(store=store, bucket="lake-unused")
    result = dg.materialize([raw_orders], resources={"io_manager": lake, "shop": shop}, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "CERTIFICATE_VERIFY_FAILED" in str(failure.event_specific_data.error)
    with pytest.raises(SSLError):
        list(LandingZone(store=store, bucket="landing-unused").list_incoming())


def test_temporary_credentials_serve_the_lake_and_the_landing_zone(
    s3_endpoint, temporary_credentials, use_lake_and_landing
):
    """Credentials from STS (key, secret and session token) work for both..."""
    use_lake_and_landing(S3Store(endpoint_url=s3_endpoint, **temporary_credentials))


def test_temporary_credentials_without_their_token_are_refused(s3_endpoint, temporary_credentials):
    """...and the server checks the token: without it the same key is refused (so the token is what works)."""
    without_token = {**temporary_credentials, "aws_session_token": None}
    with pytest.raises(ClientError, match="InvalidAccessKeyId"):
        S3Store(endpoint_url=s3_endpoint, **without_token).client().list_buckets()


@pytest.fixture
def platform_env_via_front(monkeypatch, tls_front, private_ca, temporary_credentials) -> dict[str, str]:
    """The S3 variables compose would set: the TLS front, its private CA and temporary keys."""
    env = {
        "S3_ENDPOINT_URL": tls_front.endpoint,
        "AWS_CA_BUNDLE": str(private_ca[0]),
        "AWS_ACCESS_KEY_ID": temporary_credentials["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": temporary_credentials["aws_secret_access_key"],
        "AWS_SESSION_TOKEN": temporary_credentials["aws_session_token"],
        "S3_MAX_ATTEMPTS": "2",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def store_from_environment() -> S3Store:
    """The code location's S3 connection as a run builds it: from the environment alone."""
    return by_environment.s3_store(Environment.CI).process_config_and_initialize()


def test_the_environment_alone_configures_the_lake_and_the_landing_zone(platform_env_via_front, use_lake_and_landing):
    """A private CA's bundle and temporary keys with their token, set only as variables, reach
    the lake and the landing zone (the resources' settings are resolved from them)."""
    store = store_from_environment()
    assert store.ca_bundle == platform_env_via_front["AWS_CA_BUNDLE"]
    assert store.aws_session_token == platform_env_via_front["AWS_SESSION_TOKEN"]
    assert store.max_attempts == 2
    use_lake_and_landing(store)


def test_without_the_session_token_variable_the_temporary_keys_are_refused(platform_env_via_front, monkeypatch):
    """The token variable is what carries the temporary keys: unset, the same keys are refused."""
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    with pytest.raises(ClientError, match="InvalidAccessKeyId"):
        store_from_environment().client().list_buckets()


def test_scripts_read_the_same_variables(platform_env_via_front, use_lake_and_landing):
    """``S3Store.from_environment`` (scripts, bucket creation) resolves the same settings."""
    store = S3Store.from_environment()
    assert (store.ca_bundle, store.aws_session_token, store.max_attempts) == (
        platform_env_via_front["AWS_CA_BUNDLE"],
        platform_env_via_front["AWS_SESSION_TOKEN"],
        2,
    )
    use_lake_and_landing(store)
