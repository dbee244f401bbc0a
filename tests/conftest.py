"""Test harness: a real Kafka broker, a real FerretDB and the local SMTP/SMS sinks, started on
free ports for the test session and stopped afterwards, also when tests fail.

Integration tests take the `stack` fixture; unit tests never touch it, so `pytest -m "not
integration"` needs neither Java nor Go.

Every HTTP API wants a bearer token: the session has a real local issuer (a key pair made at
start-up, its JWKS served over HTTP on a free port; deploy/local/token_issuer.py) which every
service instance of the tests trusts, and `as_citizen`, `as_operator`, `as_partner` and
`as_auditor` give the headers of a real signed token of each role.
"""

import asyncio
import atexit
import inspect
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI
from pymongo import monitoring

from deploy.local.token_issuer import LocalIssuer
from shared.clock import SEOUL
from shared.topics import ALL_TOPICS

if TYPE_CHECKING:
    from pymongo.asynchronous.database import AsyncDatabase

    from deploy.local.stack import SmsGatewaySink, SmtpSink

SMS_TOKEN = "test-token"
TEST_AUDIENCE = "ilteo-test"


class _SessionIssuer:
    """The tests' token issuer, started on first use and stopped when the session ends."""

    def __init__(self) -> None:
        self._issuer: LocalIssuer | None = None

    def __call__(self) -> LocalIssuer:
        if self._issuer is None:
            keys = Path(tempfile.mkdtemp(prefix="ilteo-test-auth-"))
            issuer = LocalIssuer(keys, audience=TEST_AUDIENCE)
            server = issuer.serve_in_thread()
            issuer.issuer = f"http://127.0.0.1:{server.server_port}"
            atexit.register(shutil.rmtree, keys, ignore_errors=True)
            atexit.register(server.shutdown)
            self._issuer = issuer
        return self._issuer


session_issuer = _SessionIssuer()


def auth_settings() -> dict[str, Any]:
    """The settings that make a service trust the tests' issuer."""
    issuer = session_issuer()
    return {
        "auth_issuer": issuer.issuer,
        "auth_audience": issuer.audience,
        "auth_jwks_url": f"{issuer.issuer}/.well-known/jwks.json",
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_citizen(applicant_id: str) -> dict[str, str]:
    """A citizen's token: `sub` is their `applicant.applicant_id`."""
    return bearer(session_issuer().mint(applicant_id, ["citizen"]))


def as_operator(*programs: str, sub: str = "operator-1") -> dict[str, str]:
    """An operator of `programs` (program ids); of every program ("*") when none is given."""
    return bearer(session_issuer().mint(sub, ["operator"], programs or ["*"]))


def as_partner(sub: str = "partner-district-office") -> dict[str, str]:
    return bearer(session_issuer().mint(sub, ["partner"]))


def as_auditor(sub: str = "auditor-1") -> dict[str, str]:
    return bearer(session_issuer().mint(sub, ["auditor"]))


@dataclass(frozen=True)
class Stack:
    bootstrap_servers: str
    mongodb_uri: str
    smtp_port: int
    sms_gateway_url: str
    smtp: "SmtpSink"
    sms: "SmsGatewaySink"

    def notify_env(self) -> dict[str, Any]:
        return self.service_env("notify") | {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.smtp_port,
            "sms_gateway_url": self.sms_gateway_url,
            "sms_gateway_token": SMS_TOKEN,
            "delivery_poll_seconds": 0.05,
        }

    def service_env(self, service: str) -> dict[str, Any]:
        """Settings for one service instance with a database of its own."""
        return {
            "kafka_bootstrap_servers": self.bootstrap_servers,
            "mongodb_uri": self.mongodb_uri,
            "mongodb_database": f"test_{service}_{uuid.uuid4().hex[:10]}",
            "dependency_retry_seconds": 0.5,
            **auth_settings(),
        }


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from deploy.local.stack import (
        FerretDB,
        Kafka,
        SmsGatewaySink,
        SmtpSink,
        create_topics,
        ensure_ferretdb,
        ensure_kafka,
        free_port,
    )

    ensure_kafka()
    ensure_ferretdb()
    root = tmp_path_factory.mktemp("stack")
    kafka = Kafka(free_port(), free_port(), root / "kafka")
    ferret = FerretDB(free_port(), free_port(), root / "ferretdb")
    smtp_port, sms_port = free_port(), free_port()
    smtp = SmtpSink(smtp_port, root / "mail")
    sms = SmsGatewaySink(sms_port, root / "sms", token=SMS_TOKEN)
    started: list[Any] = []
    try:
        for component in (kafka, ferret, smtp, sms):
            component.start()
            started.append(component)
        for component in started:
            component.wait_ready()
        create_topics(kafka.bootstrap_servers, ALL_TOPICS)
        yield Stack(
            bootstrap_servers=kafka.bootstrap_servers,
            mongodb_uri=ferret.uri,
            smtp_port=smtp_port,
            sms_gateway_url=f"http://127.0.0.1:{sms_port}/send",
            smtp=smtp,
            sms=sms,
        )
    finally:
        for component in reversed(started):
            component.stop()


class MovableClock:
    """Seoul time that runs at real speed from `start` and that a test can move forward.

    Time passes (leases run out, retries become due) while the test can put the service at
    22:30 and later at 08:00 the next morning: `create_app(settings, clock=MovableClock(...))`.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware start")
        self._start = start
        self._started = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)

    def move_to(self, moment: datetime) -> None:
        """Continue from `moment`; only forward, as a real clock would."""
        if moment < self():
            raise ValueError(f"the clock only moves forward: {moment} is before {self()}")
        self._start, self._started = moment, time.monotonic()


def daytime_clock(hour: int = 12) -> Callable[[], datetime]:
    """Real time, moved to `hour` o'clock in Seoul today: time passes (retries become due) but
    quiet hours never hold a test's messages back, whenever CI runs."""
    real = datetime.now(SEOUL)
    offset = real.replace(hour=hour, minute=0, second=0, microsecond=0) - real
    return lambda: datetime.now(SEOUL) + offset


async def wait_for(probe: Callable[[], Any], *, within: float = 60.0, settle: float = 0.0) -> Any:
    """Poll `probe` until it returns something truthy (then wait `settle` s and probe again).
    `probe` may be a coroutine function (a database query)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within

    async def ask() -> Any:
        result = probe()
        return await result if inspect.isawaitable(result) else result

    while True:
        result = await ask()
        if result:
            if settle:
                await asyncio.sleep(settle)
                result = await ask()
            return result
        if loop.time() > deadline:
            return result
        await asyncio.sleep(0.25)


@asynccontextmanager
async def running(
    app: FastAPI, within: float = 60.0, headers: Mapping[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """Run a service in this process (real Kafka and database) until the block ends.

    The client acts as an operator of every program unless `headers` say otherwise; a
    request of a citizen passes `headers=as_citizen(applicant_id)` itself."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://service",
            headers=dict(headers) if headers is not None else as_operator(),
        ) as client:
            deadline = asyncio.get_running_loop().time() + within
            while (await client.get("/readyz")).status_code != 200:
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError("service did not become ready")
                await asyncio.sleep(0.2)
            yield client


class Finds(monitoring.CommandListener):
    """The collections a client reads with `find`, in order: for tests that prove an answer
    came from memory (FerretDB reads the whole collection on every find). And the `_id`s it
    sends in each insert, by collection: for tests that prove no refused document was sent
    (one refusal makes FerretDB insert the whole batch one document at a time)."""

    def __init__(self) -> None:
        self.of: list[str] = []
        self.inserts: list[tuple[str, list[Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.of.append(str(event.command["find"]))
        elif event.command_name == "insert":
            ids = [doc["_id"] for doc in event.command.get("documents", [])]
            self.inserts.append((str(event.command["insert"]), ids))

    def inserted_into(self, collection: str) -> list[Any]:
        return [id_ for name, ids in self.inserts if name == collection for id_ in ids]

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@dataclass
class Watched:
    """A fresh database of the test stack, and what its client sends there (`Finds`)."""

    db: "AsyncDatabase[dict[str, Any]]"
    sent: Finds


@pytest.fixture
async def watched(stack: Stack) -> AsyncIterator[Watched]:
    from pymongo import AsyncMongoClient

    sent = Finds()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        stack.mongodb_uri, tz_aware=True, tzinfo=SEOUL, event_listeners=[sent]
    )
    try:
        yield Watched(client[f"test_{uuid.uuid4().hex[:12]}"], sent)
    finally:
        await client.close()


async def start_at_the_end(bootstrap_servers: str, service: str, topics: Iterable[str]) -> None:
    """Move `service`'s consumer groups of `topics` to the end of them: what earlier tests of
    the session published there (thousands of applications) is not the next test's business,
    and a service catching up on it first would answer that test late."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    for topic in described:
        name = topic["topic"]
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=f"ilteo-{service}.{name}",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            partitions = [TopicPartition(name, p["partition"]) for p in topic["partitions"]]
            consumer.assign(partitions)
            await consumer.commit(await consumer.end_offsets(partitions))
        finally:
            await consumer.stop()


async def publish(bootstrap_servers: str, topic: str, value: bytes, key: str | None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key.encode() if key else None)
    finally:
        await producer.stop()


async def publish_many(
    bootstrap_servers: str, topic: str, messages: Iterable[tuple[str, bytes]]
) -> None:
    """Publish (key, value) pairs with one producer, in order per key: a burst, as fast as the
    broker takes it."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(topic, value, key=key.encode()) for key, value in messages]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def collect(
    bootstrap_servers: str,
    topics: list[str],
    match: Callable[[Any], bool],
    *,
    expected: int,
    within: float = 60.0,
    settle: float = 3.0,
) -> list[Any]:
    """Read `topics` from the beginning and return the records that `match`.

    Waits until `expected` records matched, then `settle` seconds more so that an unexpected
    extra record (a duplicate) would be seen too.
    """
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Any] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    settle_until: float | None = None
    try:
        while loop.time() < (settle_until or deadline):
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found.extend(r for r in records if match(r))
            if settle_until is None and len(found) >= expected:
                settle_until = loop.time() + settle
    finally:
        await consumer.stop()
    return found


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    import json

    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def as_environment(settings: Mapping[str, Any]) -> dict[str, str]:
    """Settings as the environment variables of a service process (QUIET_HOURS_END=08:00)."""
    return {name.upper(): str(value) for name, value in settings.items()}
