"""One S3 configuration for the lake and the landing zone: a private CA and temporary
credentials hold for both (the real S3 server behind a TLS front made here, with a CA
generated in the test)."""

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import pytest
from botocore.exceptions import ClientError, SSLError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.defs.orders.assets import raw_orders, staged_orders
from app.io_managers.s3_parquet import S3ParquetIOManager
from app.lib.landing_files import make_orders_csv
from app.resources.landing_zone import LandingZone
from dagster_platform.s3_store import S3Store


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_private_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for 127.0.0.1 signed by it; returns (ca.pem, server.pem, server.key)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unit-test private CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(_pem(ca))
    paths[1].write_bytes(_pem(server))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


class TlsFront:
    """A TLS-terminating TCP front of the S3 server, as a load balancer with a private CA would be."""

    def __init__(self, upstream: tuple[str, int], cert: Path, key: Path):
        self._upstream = upstream
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"https://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            client = self._context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()  # a client that refused our certificate
            return
        upstream = socket.create_connection(self._upstream)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Stop accepting connections."""
        self._server.close()


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A CA generated for this module and a server certificate signed by it."""
    return make_private_ca(tmp_path_factory.mktemp("private-ca"))


@pytest.fixture
def tls_front(s3_endpoint, private_ca):
    """The test S3 server behind HTTPS with the private CA's certificate."""
    upstream = urlparse(s3_endpoint)
    front = TlsFront((str(upstream.hostname), int(upstream.port or 80)), private_ca[1], private_ca[2])
    yield front
    front.close()


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
