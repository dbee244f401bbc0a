"""The local stack itself: real Kafka, FerretDB, SMTP sink and SMS gateway sink.

These prove that what the other integration tests stand on really works: a message goes
through the broker, a document through the database, a Korean e-mail through SMTP, and the
SMS gateway sink keeps the contract (validation, de-duplication, auth, faults). The shared
session `stack` fixture (tests/conftest.py) is reused for the broker and the database, so a
test run starts one Kafka, not two; what must be started fresh (a gateway with faults, the
`up`/`down` commands) is started here and always stopped in a `finally`.
"""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import MongoClient

from deploy.local import stack as local
from shared.topics import ALL_TOPICS
from tests.conftest import SMS_TOKEN, Stack

pytestmark = pytest.mark.integration

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout: float = 10.0) -> T:
    """The first truthy value of `probe`, polled until `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing after {timeout} s")
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


# --- Kafka ------------------------------------------------------------------------------


async def test_a_message_goes_through_the_broker(stack: Stack) -> None:
    topic = f"stack-test-{uuid.uuid4().hex[:8]}"
    local.create_topics(stack.bootstrap_servers, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, "신청 접수".encode(), key=b"app-1")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=stack.bootstrap_servers,
        group_id=f"stack-test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        record = await consumer.getone()
    finally:
        await consumer.stop()
    assert record.key == b"app-1"
    assert record.value.decode() == "신청 접수"


async def test_every_contract_topic_exists_with_three_partitions_and_creating_is_idempotent(
    stack: Stack,
) -> None:
    local.create_topics(stack.bootstrap_servers, ALL_TOPICS)  # again: existing topics are fine
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(list(ALL_TOPICS))
    finally:
        await admin.close()
    partitions = {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}
    assert partitions == dict.fromkeys(ALL_TOPICS, 3)


# --- FerretDB ---------------------------------------------------------------------------


def test_a_document_goes_through_the_database(stack: Stack) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(stack.mongodb_uri)
    try:
        collection = client[f"stack_test_{uuid.uuid4().hex[:8]}"]["people"]
        collection.insert_one({"_id": "a-1", "name": "홍길동", "visits": 0})
        collection.find_one_and_update({"_id": "a-1"}, {"$inc": {"visits": 1}})
        assert collection.find_one({"_id": "a-1"}) == {"_id": "a-1", "name": "홍길동", "visits": 1}
        client.drop_database(collection.database.name)
    finally:
        client.close()


def test_ferretdb_stops_without_leaving_a_process(tmp_path: Path) -> None:
    ferret = local.FerretDB(local.free_port(), local.free_port(), tmp_path / "ferretdb")
    try:
        ferret.start()
        pid = ferret.pid
        assert pid is not None
        ferret.wait_ready(timeout=30)
    finally:
        ferret.stop()
    assert not alive(pid)
    ferret.stop()  # idempotent


def test_start_refuses_a_port_that_is_already_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ferret = local.FerretDB(port, local.free_port(), tmp_path / "ferretdb")
        with pytest.raises(local.StackError, match=f"port {port}"):
            ferret.start()
    assert ferret.pid is None


# --- SMTP sink --------------------------------------------------------------------------


def test_a_korean_e_mail_arrives_intact_and_the_log_masks_the_recipient(stack: Stack) -> None:
    message_id = f"<{uuid.uuid4()}@jobs.seoul.example>"
    message = EmailMessage()
    message["From"] = "noreply@jobs.seoul.example"
    message["To"] = "hong@example.com"
    message["Subject"] = "[서울 일자리] 홍길동님, 선발되었습니다"
    message["Message-ID"] = message_id
    message.set_content("교육 과정에 선발되셨습니다.\n일터 드림", charset="utf-8")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)

    def received() -> dict[str, Any] | None:
        return next((m for m in stack.smtp.messages() if m["message_id"] == message_id), None)

    mail = eventually(received)
    assert mail["subject"] == "[서울 일자리] 홍길동님, 선발되었습니다"
    assert mail["to"] == ["hong@example.com"]
    assert mail["text"].strip() == "교육 과정에 선발되셨습니다.\n일터 드림"
    assert (stack.smtp.store_dir / mail["file"]).is_file()
    log = stack.smtp.log_tail(500)
    assert "h***@example.com" in log
    assert "hong@example.com" not in log


# --- SMS gateway sink -------------------------------------------------------------------


def sms(**overrides: Any) -> dict[str, Any]:
    return {
        "message_id": f"m-{uuid.uuid4().hex}",
        "to": "01012345678",
        "from": "15889999",
        "type": "SMS",
        "text": "[서울 일자리] 선발되었습니다.",
        **overrides,
    }


def post(url: str, body: dict[str, Any], token: str | None = SMS_TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(url, json=body, headers=headers, timeout=10)


def test_the_gateway_accepts_a_message_once_even_when_sent_twice(stack: Stack) -> None:
    body = sms()
    first = post(stack.sms_gateway_url, body)
    again = post(stack.sms_gateway_url, body)
    assert (first.status_code, first.json()["status"]) == (200, "accepted")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    stored = [m for m in stack.sms.messages() if m["message_id"] == body["message_id"]]
    assert len(stored) == 1
    assert stored[0]["text"] == body["text"]
    listed = httpx.get(stack.sms_gateway_url.replace("/send", "/messages")).json()
    assert [m["message_id"] for m in listed].count(body["message_id"]) == 1
    log = stack.sms.log_tail(500)
    assert "010-****-5678" in log
    assert "01012345678" not in log


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (sms(text="가" * 46), "text"),  # 92 bytes in EUC-KR: too long for an SMS
        (sms(type="LMS", text="가" * 1001), "text"),  # 2,002 bytes
        (sms(text="똠"), "text"),  # not in KS X 1001
        (sms(to="0101234567890"), "to"),
        (sms(to="02-123-4567"), "to"),
        (sms(type="MMS"), "type"),
        (sms(subject="제목"), "subject"),  # only an LMS has one
        (sms(message_id=""), "message_id"),
        (sms(**{"from": ""}), "from"),
    ],
)
def test_the_gateway_rejects_invalid_messages_naming_the_field(
    stack: Stack, body: dict[str, Any], field: str
) -> None:
    response = post(stack.sms_gateway_url, body)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert all(m["message_id"] != body["message_id"] for m in stack.sms.messages())


def test_the_gateway_accepts_an_lms_up_to_2000_bytes_with_a_subject(stack: Stack) -> None:
    body = sms(type="LMS", subject="선발 안내", text="가" * 1000)
    assert post(stack.sms_gateway_url, body).status_code == 200


def test_the_gateway_refuses_a_wrong_or_missing_token(stack: Stack) -> None:
    for token in ("wrong", None):
        body = sms()
        response = post(stack.sms_gateway_url, body, token=token)
        assert response.status_code == 401
        assert response.json()["field"] == "Authorization"
        assert all(m["message_id"] != body["message_id"] for m in stack.sms.messages())


@pytest.fixture(scope="module")
def faulty_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local.SmsGatewaySink]:
    """A second gateway that answers every request with 503, except one unlucky number."""
    gateway = local.SmsGatewaySink(
        local.free_port(),
        tmp_path_factory.mktemp("faulty-sms"),
        fail_rate=1.0,
        permanent_fail_numbers=["01099990000"],
    )
    try:
        gateway.start()
        gateway.wait_ready(timeout=30)
        yield gateway
    finally:
        gateway.stop()


def test_an_injected_fault_answers_503_and_stores_nothing(
    faulty_gateway: local.SmsGatewaySink,
) -> None:
    for _ in range(3):
        response = post(faulty_gateway.url, sms(), token=None)
        assert response.status_code == 503
    assert faulty_gateway.messages() == []
    stats = httpx.get(f"{faulty_gateway.base_url}/stats").json()
    assert stats["injected_503"] >= 3
    assert "accepted" not in stats


def test_a_permanently_failing_number_gets_400(faulty_gateway: local.SmsGatewaySink) -> None:
    response = post(faulty_gateway.url, sms(to="01099990000"), token=None)
    assert response.status_code == 400
    assert response.json()["field"] == "to"


def test_throttling_and_timeouts_store_nothing(tmp_path: Path) -> None:
    gateway = local.SmsGatewaySink(
        local.free_port(),
        tmp_path / "sms",
        throttle_rate=0.5,
        timeout_rate=0.5,
        timeout_seconds=1.0,
        seed=7,
    )
    outcomes: list[str] = []
    try:
        gateway.start()
        gateway.wait_ready(timeout=30)
        for _ in range(6):
            try:
                response = httpx.post(gateway.url, json=sms(), timeout=0.5)
            except httpx.ReadTimeout:
                outcomes.append("timeout")
            else:
                outcomes.append(str(response.status_code))
        stats = httpx.get(f"{gateway.base_url}/stats").json()
    finally:
        gateway.stop()
    assert set(outcomes) == {"429", "timeout"}  # seed 7 draws both kinds within six requests
    assert stats["injected_429"] + stats["injected_timeout"] == 6
    assert gateway.messages() == []


# --- the `up` / `status` / `down` commands ----------------------------------------------


def run_stack(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy.local.stack", *command.split()],
        cwd=local.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_up_status_and_down_leave_no_process_behind(tmp_path: Path) -> None:
    run = tmp_path / "run"
    env = {
        **os.environ,
        "ILTEO_RUN_DIR": str(run),
        **{
            variable: str(local.free_port())
            for variable in (
                "ILTEO_KAFKA_PORT",
                "ILTEO_KAFKA_CONTROLLER_PORT",
                "ILTEO_MONGO_PORT",
                "ILTEO_MONGO_DEBUG_PORT",
                "ILTEO_SMTP_PORT",
                "ILTEO_SMS_PORT",
                "ILTEO_AUTH_PORT",
            )
        },
    }
    try:
        up = run_stack("up --no-services", env)
        assert up.returncode == 0, up.stdout + up.stderr
        pids = {p.stem: int(p.read_text()) for p in run.glob("*.pid")}
        assert set(pids) == {"kafka", "ferretdb", "smtp-sink", "sms-gateway", "token-issuer"}
        assert all(alive(pid) for pid in pids.values())
        assert f"127.0.0.1:{env['ILTEO_KAFKA_PORT']}" in up.stdout

        status = run_stack("status", env)
        assert status.returncode == 0, status.stdout + status.stderr
        assert f"client {env['ILTEO_KAFKA_PORT']}" in status.stdout

        again = run_stack("up --no-services", env)  # idempotent: nothing started twice
        assert again.returncode == 0, again.stdout + again.stderr
        assert "already running" in again.stdout
        assert {p.stem: int(p.read_text()) for p in run.glob("*.pid")} == pids
    finally:
        down = run_stack("down", env)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not any(alive(pid) for pid in pids.values())
    assert list(run.glob("*.pid")) == []
    assert "nothing was running" in run_stack("down", env).stdout


def test_a_kafka_cluster_id_never_reads_as_an_option() -> None:
    # One in 64 urlsafe-base64 ids starts with "-": kafka-storage then failed to format.
    ids = [local.kafka_cluster_id() for _ in range(2000)]
    assert not any(cluster_id.startswith("-") for cluster_id in ids)
    assert all(len(cluster_id) == 22 for cluster_id in ids)


def test_free_ports_handed_out_by_one_process_are_never_the_same_twice() -> None:
    # CI once started Kafka on the port just handed to FerretDB: the kernel offered it again.
    ports = [local.free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
