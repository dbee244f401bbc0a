"""A service on a broker that speaks SASL_SSL (SCRAM-SHA-512 inside TLS): in when it trusts the
broker's CA (KAFKA_SSL_CAFILE), refused in words when it does not: TLS without verifying the
broker would only hide the traffic from passive listeners.

The CA and the broker's certificate (for 127.0.0.1) are made here, per run, and never leave
the test's temporary directory.
"""

import asyncio
import datetime as dt
import ipaddress
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.topics import dead_letter_topic
from tests.conftest import Stack, running
from tests.security.test_kafka_scram import (
    SERVICE_PASSWORD,
    SERVICE_USER,
    SUBMITTED,
    _create_topics,
    _read_one,
    readyz_after_trying,
    recruitment,
)

pytestmark = pytest.mark.integration


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_tls_material(directory: Path) -> tuple[Path, Path]:
    """(server PEM: unencrypted PKCS#8 key + chain, CA PEM) for a broker on 127.0.0.1."""
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("ilteo test CA"))
        .issuer_name(_name("ilteo test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    server_pem = directory / "broker.pem"
    server_pem.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + server.public_bytes(pem)
        + ca.public_bytes(pem)
    )
    server_pem.chmod(0o600)
    ca_pem = directory / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(pem))
    return server_pem, ca_pem


@pytest.fixture(scope="module")
def tls_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from deploy.local.stack import Kafka, KafkaTls, ensure_kafka, free_port

    ensure_kafka()
    directory = Path(tmp_path_factory.mktemp("tls-kafka"))
    server_pem, ca_pem = make_tls_material(directory)
    kafka = Kafka(
        free_port(),
        free_port(),
        directory / "data",
        scram_users={SERVICE_USER: SERVICE_PASSWORD},
        tls=KafkaTls(server_pem=server_pem, ca_pem=ca_pem),
    )
    kafka.start()
    try:
        kafka.wait_ready()
        asyncio.run(_create_topics(kafka.bootstrap_servers, kafka.client_options))
        yield kafka
    finally:
        kafka.stop()


def use_sasl_ssl(monkeypatch: pytest.MonkeyPatch, ca_file: Path | None) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", SERVICE_USER)
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", SERVICE_PASSWORD)
    if ca_file is not None:
        monkeypatch.setenv("KAFKA_SSL_CAFILE", str(ca_file))
    else:
        monkeypatch.delenv("KAFKA_SSL_CAFILE", raising=False)


async def test_a_service_trusting_the_brokers_ca_consumes_and_publishes_over_sasl_ssl(
    stack: Stack, tls_kafka: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_sasl_ssl(monkeypatch, tls_kafka.tls.ca_pem)
    key = f"tls-{uuid.uuid4().hex[:8]}"
    async with running(recruitment(stack, tls_kafka)):
        producer = AIOKafkaProducer(
            bootstrap_servers=tls_kafka.bootstrap_servers, **tls_kafka.client_options
        )
        await producer.start()
        try:
            await producer.send_and_wait(SUBMITTED, b"not an event", key=key.encode())
        finally:
            await producer.stop()
        dead = await _read_one(tls_kafka, dead_letter_topic(SUBMITTED), key)
    assert dead is not None, "the service did not consume and dead-letter over SASL_SSL"


async def test_a_service_that_does_not_trust_the_brokers_certificate_stays_unready(
    stack: Stack,
    tls_kafka: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_sasl_ssl(monkeypatch, None)  # the system's CAs only: they never signed this broker
    caplog.set_level(logging.WARNING)
    ready = await readyz_after_trying(recruitment(stack, tls_kafka))
    assert ready.status_code == 503
    assert ready.json()["kafka"] is False
    assert f"did not let the service in (SASL_SSL, SCRAM-SHA-512 as '{SERVICE_USER}')" in (
        caplog.text
    )
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text or "certificate verify failed" in (
        caplog.text
    )
