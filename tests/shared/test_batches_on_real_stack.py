"""Batched consumption on the real broker and database: a fetched batch mixing valid events,
bad input and redelivered duplicates; and a service SIGKILLed in the middle of a batch."""

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.stack import Service, free_port
from services.placement.app import PlacementSettings
from services.placement.app import create_app as create_placement
from shared.mongo import make_mongo_client
from shared.topics import Topic, dead_letter_topic
from tests.conftest import (
    Stack,
    as_environment,
    as_operator,
    collect,
    publish_many,
    running,
    wait_for,
)
from tests.e2e.applicants import applicant, open_call, submitted_event
from tests.shared.test_event_kit_on_real_stack import headers, report_event

pytestmark = pytest.mark.integration

VALID = 500
KILL_BURST = 3_000


async def test_a_mixed_batch_yields_each_valid_result_once_and_each_bad_message_in_the_dlq(
    stack: Stack,
) -> None:
    """Everything is on the topic before placement starts, so its first fetches are full
    batches holding all of it: 500 valid reports, a non-JSON message, one carrying a resident
    registration number, one failing the schema, and 50 of the valid events delivered again
    (and one twice within the same position of the log)."""
    run = uuid.uuid4().hex[:6]
    topic = Topic.EMPLOYMENT_REPORTED.value
    valid = [(f"p-{run}-{i}", report_event(f"p-{run}-{i}")) for i in range(VALID)]
    bad = {
        "not_json": (f"p-{run}-bad-0", b'{"event_id": "oops", not json'),
        "forbidden_data": (
            f"p-{run}-bad-1",
            report_event(f"p-{run}-bad-1", job_title="주민번호 850302-1234567"),
        ),
        "schema_invalid": (f"p-{run}-bad-2", report_event(f"p-{run}-bad-2", source="rumour")),
    }
    repeated = valid[:50]
    messages = [*valid[:200], *bad.values(), *valid[200:], *repeated, repeated[0]]
    await publish_many(stack.bootstrap_servers, topic, messages)
    app = create_placement(PlacementSettings(**stack.service_env("placement")))
    async with running(app) as client:
        confirmed = await collect(
            stack.bootstrap_servers,
            [Topic.EMPLOYMENT_CONFIRMED.value],
            lambda r: r.key.decode().startswith(f"p-{run}-"),
            expected=VALID,
            settle=4.0,
        )
        dead = await collect(
            stack.bootstrap_servers,
            [dead_letter_topic(topic)],
            lambda r: r.key.decode().startswith(f"p-{run}-"),
            expected=len(bad),
        )
        employments = (await client.get(f"/applicants/p-{run}-7/employments")).json()
        metrics = (await client.get("/metrics")).text

    assert Counter(r.key.decode() for r in confirmed) == Counter(key for key, _ in valid)
    assert len({json.loads(r.value)["event_id"] for r in confirmed}) == VALID
    assert len(employments["employments"]) == 1
    assert {headers(r)["dlq.reason"]: r.key.decode() for r in dead} == {
        reason: key for reason, (key, _) in bad.items()
    }
    for record in dead:
        assert headers(record)["dlq.consumer.group"] == f"ilteo-placement.{topic}"
        assert headers(record)["dlq.source.topic"] == topic
    assert f'ilteo_duplicate_events_total{{topic="{topic}"}} {len(repeated) + 1}.0' in metrics
    assert f'ilteo_processed_events_total{{topic="{topic}"}} {VALID}.0' in metrics
    # Fetched as batches, not one by one: the largest batch held more than a hundred.
    assert f'ilteo_consumed_batch_size_bucket{{le="100.0",topic="{topic}"}}' in metrics
    bucket_100 = _metric(metrics, "ilteo_consumed_batch_size_bucket", le="100.0", topic=topic)
    batches = _metric(metrics, "ilteo_consumed_batch_size_count", topic=topic)
    assert bucket_100 < batches


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and line.split("}")[0].endswith(wanted):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{wanted}}} not in the metrics")


async def test_recruitment_killed_in_the_middle_of_a_batch_loses_and_repeats_nothing(
    stack: Stack, tmp_path: Path
) -> None:
    """3,000 applications; recruitment, a real process, is SIGKILLed once some of them are
    screened, so a batch is cut short between its writes and its commit, and started again.
    Every application is stored once and screened with one event id; none is refused as a
    second application of its own (what a repeated batch would do if it were not idempotent)."""
    call_id = f"kill-{uuid.uuid4().hex[:8]}"
    people = [applicant() for _ in range(KILL_BURST)]
    events = [submitted_event(call_id, person) for person in people]
    application_ids = {application_id for application_id, _ in events}
    settings = stack.service_env("recruitment") | {"log_level": "WARNING"}
    port = free_port()
    process = Service(
        "recruitment", port, as_environment(settings), log_file=tmp_path / "recruitment.log"
    )

    async def screened() -> list[Any]:
        return await collect(
            stack.bootstrap_servers,
            [Topic.APPLICATION_SCREENED.value],
            lambda r: r.key.decode() in application_ids,
            expected=KILL_BURST,
            within=0.1,
            settle=0.0,
        )

    try:
        process.start()
        process.wait_ready(90)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=10, headers=as_operator()
        ) as http:
            assert (await http.post("/calls", json=open_call(call_id))).status_code == 201
            assert (await http.post(f"/calls/{call_id}/open")).status_code == 200
        await publish_many(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, events)
        assert await wait_for(lambda: _any(screened), within=120)
        process.kill()
        at_kill = len({r.key for r in await screened()})
        process.start()
        process.wait_ready(90)
        records = await collect(
            stack.bootstrap_servers,
            [Topic.APPLICATION_SCREENED.value],
            lambda r: r.key.decode() in application_ids,
            expected=KILL_BURST,
            within=240,
            settle=3.0,
        )
    finally:
        process.stop()
    client = make_mongo_client(stack.mongodb_uri)
    try:
        stored = await client[settings["mongodb_database"]]["applications"].count_documents(
            {"call_id": call_id}
        )
    finally:
        await client.close()

    print(f"\nSIGKILL with {at_kill} of {KILL_BURST} screened; {len(records)} screened events")
    assert 0 < at_kill < KILL_BURST, "the kill came before or after the burst: proves nothing"
    assert stored == KILL_BURST
    by_application: dict[str, set[str]] = {}
    for record in records:
        event = json.loads(record.value)
        by_application.setdefault(record.key.decode(), set()).add(event["event_id"])
        codes = {rule["code"] for rule in event["data"]["failed_rules"]}
        assert "application.duplicate" not in codes
    assert by_application.keys() == application_ids
    assert all(len(ids) == 1 for ids in by_application.values())


async def _any(screened: Any) -> bool:
    return bool(await screened())
