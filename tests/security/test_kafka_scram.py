"""A service on a broker that demands SASL/SCRAM-SHA-512: in with the right login, refused
clearly (a log line naming the cause and the login, readyz 503) with a wrong one or none.

The broker is a second Kafka of its own (deploy/local/stack.py `Kafka(scram_users=...)`); the
database is the session stack's FerretDB.
"""

import asyncio
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import ValidationError

from services.recruitment.app import RecruitmentSettings, create_app
from shared.topics import Topic, dead_letter_topic
from shared.transport import TransportSettings, kafka_security
from tests.conftest import Stack, running

pytestmark = pytest.mark.integration

SERVICE_USER = "ilteo-recruitment"
SERVICE_PASSWORD = f"pw-{uuid.uuid4().hex}"  # made up per run: nothing to commit or leak
SUBMITTED = Topic.APPLICATION_SUBMITTED.value


@pytest.fixture(scope="module")
def scram_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from deploy.local.stack import Kafka, ensure_kafka, free_port

    ensure_kafka()
    kafka = Kafka(
        free_port(),
        free_port(),
        Path(tmp_path_factory.mktemp("scram-kafka")),
        scram_users={SERVICE_USER: SERVICE_PASSWORD},
    )
    kafka.start()
    try:
        kafka.wait_ready()
        asyncio.run(_create_topics(kafka.bootstrap_servers, kafka.client_options))
        yield kafka
    finally:
        kafka.stop()


async def _create_topics(bootstrap_servers: str, options: dict[str, Any]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **options)
    await admin.start()
    try:
        wanted = [SUBMITTED, dead_letter_topic(SUBMITTED), Topic.APPLICATION_SCREENED.value]
        existing = set(await admin.list_topics())
        new = [NewTopic(t, 3, 1) for t in wanted if t not in existing]
        if new:
            await admin.create_topics(new)
    finally:
        await admin.close()


def use_login(monkeypatch: pytest.MonkeyPatch, password: str | None) -> None:
    if password is None:
        monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
        return
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", SERVICE_USER)
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", password)


def recruitment(stack: Stack, scram_kafka: Any) -> Any:
    env = stack.service_env("recruitment")
    env["kafka_bootstrap_servers"] = scram_kafka.bootstrap_servers
    return create_app(RecruitmentSettings(**env, seed_catalog=False))


async def readyz_after_trying(app: Any, seconds: float = 6.0) -> httpx.Response:
    """Run the service for a while (several attempts at 0.5 s) and ask it whether it is ready."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            await asyncio.sleep(seconds)
            return await client.get("/readyz")


async def test_a_service_with_its_scram_login_becomes_ready_and_consumes_and_publishes(
    stack: Stack, scram_kafka: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_login(monkeypatch, SERVICE_PASSWORD)
    key = f"scram-{uuid.uuid4().hex[:8]}"
    async with running(recruitment(stack, scram_kafka)):
        # Something it must refuse: it reads it and publishes it to the dead-letter topic.
        producer = AIOKafkaProducer(
            bootstrap_servers=scram_kafka.bootstrap_servers, **scram_kafka.client_options
        )
        await producer.start()
        try:
            await producer.send_and_wait(SUBMITTED, b"not an event", key=key.encode())
        finally:
            await producer.stop()
        dead = await _read_one(scram_kafka, dead_letter_topic(SUBMITTED), key)
    assert dead is not None, "the service did not consume and dead-letter over SCRAM"
    assert dict(dead.headers)["dlq.reason"] == b"not_json"


async def _read_one(kafka: Any, topic: str, key: str, within: float = 30.0) -> Any:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=f"scram-test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        **kafka.client_options,
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key == key.encode():
                        return record
    finally:
        await consumer.stop()
    return None


async def test_a_wrong_password_keeps_the_service_unready_and_says_the_login_was_refused(
    stack: Stack,
    scram_kafka: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_login(monkeypatch, "not-the-password")
    caplog.set_level(logging.WARNING)
    ready = await readyz_after_trying(recruitment(stack, scram_kafka))
    assert ready.status_code == 503
    assert ready.json()["kafka"] is False
    said = caplog.text
    assert "SaslAuthenticationFailed" in said  # aiokafka's line: the broker's own answer
    assert f"SCRAM-SHA-512 as '{SERVICE_USER}'" in said  # ours: which login was refused
    assert "not-the-password" not in said


async def test_no_login_keeps_the_service_unready_and_says_it_presented_none(
    stack: Stack,
    scram_kafka: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_login(monkeypatch, None)
    caplog.set_level(logging.WARNING)
    ready = await readyz_after_trying(recruitment(stack, scram_kafka))
    assert ready.status_code == 503
    assert ready.json()["kafka"] is False
    assert "did not let the service in (PLAINTEXT, no login)" in caplog.text


def test_sasl_without_a_username_and_password_is_refused_at_start_up_in_words() -> None:
    with pytest.raises(ValidationError, match="needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"):
        TransportSettings(kafka_security_protocol="SASL_SSL")


def test_sasl_ssl_verifies_the_broker_certificate_and_host_name() -> None:
    security = kafka_security(
        TransportSettings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_username="svc",
            kafka_sasl_password="pw",
        )
    )
    assert security is not None and security.use_ssl
    assert security.ssl_context is not None
    assert security.ssl_context.check_hostname


def test_plaintext_needs_no_security_object() -> None:
    assert kafka_security(TransportSettings()) is None
