"""The shared event kit on the real broker and database, through the placement service
(the smallest service: one inbound contract topic, one outbound)."""

import asyncio
import json
import logging
import uuid
from typing import Any

import httpx
import pytest

from services.placement.app import PlacementSettings, create_app
from shared.inbox import Inbox
from shared.mongo import make_mongo_client
from shared.topics import Topic, dead_letter_topic
from tests.conftest import Stack, collect, publish, running

pytestmark = pytest.mark.integration


def report_event(applicant_id: str, *, event_id: str | None = None, **data: Any) -> bytes:
    payload = {
        "report_id": f"r-{uuid.uuid4().hex[:8]}",
        "applicant_id": applicant_id,
        "employer": {"business_no": "123-45-67890", "name": "서울상사"},
        "job_title": "웹 개발자",
        "employment_type": "permanent",
        "start_date": "2025-09-01",
        "source": "employment_insurance",
        "reported_at": "2025-09-03T10:00:00+09:00",
        **data,
    }
    return json.dumps(
        {
            "event_id": event_id or str(uuid.uuid4()),
            "event_type": Topic.EMPLOYMENT_REPORTED.value,
            "schema_version": 1,
            "occurred_at": "2025-09-03T10:00:00+09:00",
            "producer": "employment_insurance",
            "correlation_id": f"app-{applicant_id}",
            "causation_id": None,
            "data": payload,
        },
        ensure_ascii=False,
    ).encode()


def headers(record: Any) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers or []}


async def test_bad_input_goes_to_the_dlq_with_its_reason_and_the_valid_one_behind_is_processed(
    stack: Stack,
) -> None:
    applicant = f"p-{uuid.uuid4().hex[:8]}"
    app = create_app(PlacementSettings(**stack.service_env("placement")))
    topic = Topic.EMPLOYMENT_REPORTED.value
    malformed = b'{"event_id": "oops", not json'
    invalid = report_event(applicant, employment_type="gig")
    forbidden = report_event(applicant, job_title="주민번호 850302-1234567")
    async with running(app) as client:
        # Same key: same partition, so the valid event really sits behind the bad ones.
        for value in (malformed, invalid, forbidden, report_event(applicant)):
            await publish(stack.bootstrap_servers, topic, value, key=applicant)

        confirmed = await collect(
            stack.bootstrap_servers,
            [Topic.EMPLOYMENT_CONFIRMED.value],
            lambda r: json.loads(r.value)["data"]["applicant_id"] == applicant,
            expected=1,
        )
        dead = await collect(
            stack.bootstrap_servers,
            [dead_letter_topic(topic)],
            lambda r: r.key == applicant.encode(),
            expected=3,
        )
        metrics = (await client.get("/metrics")).text

    assert len(confirmed) == 1
    by_reason = {headers(r)["dlq.reason"]: r for r in dead}
    assert set(by_reason) == {"not_json", "schema_invalid", "forbidden_data"}
    assert by_reason["not_json"].value == malformed  # the original bytes, unchanged
    assert by_reason["schema_invalid"].value == invalid
    assert "data.employment_type" in headers(by_reason["schema_invalid"])["dlq.error"]
    # A resident registration number is never stored, not even in the dead-letter topic.
    assert b"850302-1234567" not in by_reason["forbidden_data"].value
    assert b"******-*******" in by_reason["forbidden_data"].value
    for record in dead:
        h = headers(record)
        assert h["dlq.source.topic"] == topic
        assert int(h["dlq.source.offset"]) >= 0
        assert h["dlq.source.partition"].isdigit()
    assert 'ilteo_dead_lettered_messages_total{reason="not_json"' in metrics


async def test_the_same_event_delivered_twice_is_processed_once(stack: Stack) -> None:
    applicant = f"p-{uuid.uuid4().hex[:8]}"
    app = create_app(PlacementSettings(**stack.service_env("placement")))
    event = report_event(applicant)
    async with running(app) as client:
        await publish(stack.bootstrap_servers, Topic.EMPLOYMENT_REPORTED, event, key=applicant)
        await publish(stack.bootstrap_servers, Topic.EMPLOYMENT_REPORTED, event, key=applicant)
        confirmed = await collect(
            stack.bootstrap_servers,
            [Topic.EMPLOYMENT_CONFIRMED.value],
            lambda r: json.loads(r.value)["data"]["applicant_id"] == applicant,
            expected=1,
        )
        employments = (await client.get(f"/applicants/{applicant}/employments")).json()
        metrics = (await client.get("/metrics")).text
    assert len(confirmed) == 1
    assert len(employments["employments"]) == 1
    assert 'ilteo_duplicate_events_total{topic="placement.employment.reported"} 1.0' in metrics


async def test_a_second_source_reporting_the_same_job_confirms_it_only_once(stack: Stack) -> None:
    applicant = f"p-{uuid.uuid4().hex[:8]}"
    app = create_app(PlacementSettings(**stack.service_env("placement")))
    async with running(app) as client:
        for source in ("self_report", "employer", "employment_insurance"):
            await publish(
                stack.bootstrap_servers,
                Topic.EMPLOYMENT_REPORTED,
                report_event(applicant, source=source),
                key=applicant,
            )
        confirmed = await collect(
            stack.bootstrap_servers,
            [Topic.EMPLOYMENT_CONFIRMED.value],
            lambda r: json.loads(r.value)["data"]["applicant_id"] == applicant,
            expected=1,
        )
        body = (await client.get(f"/applicants/{applicant}/employments")).json()
    # The self and employer reports wait for verification; the insurance record confirms.
    assert [json.loads(r.value)["data"]["source"] for r in confirmed] == ["employment_insurance"]
    assert len(body["reports"]) == 3
    assert len(body["employments"]) == 1


async def test_every_service_endpoint_for_operations_answers(stack: Stack) -> None:
    app = create_app(PlacementSettings(**stack.service_env("placement")))
    async with running(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = (await client.get("/readyz")).json()
        assert ready == {"status": "ready", "kafka": True, "mongodb": True}
        assert "ilteo_processed_events" in (await client.get("/metrics")).text
        spec = (await client.get("/asyncapi.json")).json()
        assert Topic.EMPLOYMENT_REPORTED.value in json.dumps(spec["channels"])
        assert Topic.EMPLOYMENT_CONFIRMED.value in json.dumps(spec["channels"])
        assert (await client.get("/asyncapi")).status_code == 200
        assert (
            "/applicants/{applicant_id}/employments"
            in (await client.get("/openapi.json")).json()["paths"]
        )


async def test_a_service_without_its_dependencies_stays_up_and_says_why_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing listens on these ports: the service must answer healthz, refuse readyz, and
    log one clear line per dependency instead of dying with a traceback."""
    settings = PlacementSettings(
        kafka_bootstrap_servers="127.0.0.1:1",
        mongodb_uri="mongodb://127.0.0.1:1",
        dependency_retry_seconds=0.2,
    )
    app = create_app(settings)
    caplog.set_level(logging.WARNING, logger="shared.dependencies")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
            assert (await client.get("/healthz")).status_code == 200
            await asyncio.sleep(4)  # several retry rounds
            ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["mongodb"] is False
    lines = [r for r in caplog.records if "not reachable" in r.getMessage()]
    assert len(lines) == 1


async def test_the_inbox_skips_a_finished_event_and_takes_over_one_a_crash_left(
    stack: Stack,
) -> None:
    """A claim that never completed (the batch's handling died) is claimed again on
    redelivery; once completed (even twice, by a taken-over claim), the event is skipped for
    good. A batch is claimed with one insert, whatever mix of new and seen events it holds.
    The answers are the same from the process that finished the events (which remembers them)
    and from a restarted one (which reads the database)."""
    client = make_mongo_client(stack.mongodb_uri)
    try:
        db = client[f"test_inbox_{uuid.uuid4().hex[:8]}"]
        inbox = Inbox(db)
        finished, crashed, new = (str(uuid.uuid4()) for _ in range(3))

        assert await inbox.claim([finished, crashed], "t") == {finished, crashed}
        await inbox.complete([finished])  # ... and the handler dies before `crashed` is done

        assert await Inbox(db).claim([finished, crashed], "t") == {crashed}
        assert await inbox.claim([finished, crashed, new], "t") == {crashed, new}
        await inbox.complete([crashed, new])
        await inbox.complete([crashed])
        assert await inbox.claim([finished, crashed, new], "t") == set()
        assert await Inbox(db).claim([finished, crashed, new], "t") == set()
        forgetful = Inbox(db, remembered=1)
        await forgetful.complete([finished, new])  # remembers `new` only; the database says
        assert await forgetful.claim([finished, new], "t") == set()
    finally:
        await client.close()


async def test_the_inbox_records_a_finished_batch_as_one_document(stack: Stack) -> None:
    """A row is what an insert costs FerretDB: a batch of 500 finished events is one record,
    and a restarted process, which remembers none of them, still skips every one."""
    client = make_mongo_client(stack.mongodb_uri)
    try:
        db = client[f"test_inbox_{uuid.uuid4().hex[:8]}"]
        events = [str(uuid.uuid4()) for _ in range(500)]
        inbox = Inbox(db)
        assert await inbox.claim(events, "t") == set(events)
        await inbox.complete(events)

        assert await db["inbox_done"].count_documents({}) == 1
        crashed = str(uuid.uuid4())
        assert await inbox.claim([crashed], "t") == {crashed}
        assert await Inbox(db).claim([*events, crashed], "t") == {crashed}
    finally:
        await client.close()
