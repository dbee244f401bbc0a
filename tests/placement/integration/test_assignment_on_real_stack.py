"""Public-job positions under two instances: never a position twice, never an applicant twice.

The first test runs two placement instances on one database: selections arrive through Kafka,
are re-keyed by call, and the second instance joins while the first is assigning (a rebalance
hands calls over mid-stream). The second drives two writers that both believe the call is
empty straight into the store at once: only the inserts stand between them."""

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Sequence
from datetime import datetime
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry

from services.placement import use_cases
from services.placement.adapters.metrics import OutcomeGauges
from services.placement.adapters.store import PlacementStore, SeatClaim
from services.placement.app import PlacementSettings, create_app
from services.placement.domain.assignment import AssignmentRequested
from services.placement.domain.projects import ProjectCatalog, PublicJobCall
from shared.clock import now_kst
from shared.envelope import Envelope
from shared.kafka import EventPublisher, Outgoing
from shared.mongo import make_mongo_client
from shared.topics import InternalTopic, Topic
from tests.conftest import Stack, collect, publish_many, running, wait_for
from tests.e2e.applicants import applicant
from tests.placement.unit.builders import make_call, project

pytestmark = pytest.mark.integration

PER_CALL = 10  # selected applicants per call
POSITIONS = {"near": 4, "far": 3}  # per call: 7 positions for 10 people


def public_job_calls(run: str, count: int) -> list[PublicJobCall]:
    return [
        make_call(
            project("near", POSITIONS["near"], "금천구"),
            project("far", POSITIONS["far"], "노원구"),
            call_id=f"pj-{run}-{n}",
        )
        for n in range(count)
    ]


def submitted(call_id: str, application_id: str, preferred: str | None) -> tuple[str, bytes]:
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_type": Topic.APPLICATION_SUBMITTED.value,
        "occurred_at": now_kst().isoformat(),
        "producer": "district_office",
        "correlation_id": application_id,
        "data": {
            "application_id": application_id,
            "call_id": call_id,
            "submitted_at": now_kst().isoformat(),
            "channel": "district_office",
            "applicant": applicant(address={"sido": "서울특별시", "sigungu": "노원구"}),
            "preferences": {"campus_id": None, "course_id": preferred},
        },
    }
    return application_id, json.dumps(envelope, ensure_ascii=False).encode()


def selected(call_id: str, application_id: str, rank: int) -> tuple[str, bytes]:
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_type": Topic.APPLICATION_SELECTED.value,
        "occurred_at": now_kst().isoformat(),
        "producer": "recruitment",
        "correlation_id": application_id,
        "data": {
            "application_id": application_id,
            "call_id": call_id,
            "applicant_id": f"p-{application_id}",
            "program_id": "companion-jobs",
            "call_title": "2025년 하반기 서울 동행일자리 참여자 모집",
            "decision": "selected",
            "rank": rank,
            "track": "general",
            "selection_run_id": f"run-{call_id}",
            "decided_at": now_kst().isoformat(),
        },
    }
    return application_id, json.dumps(envelope, ensure_ascii=False).encode()


async def stored_assignments(stack: Stack, database: str, call_ids: Sequence[str]) -> list[Any]:
    client = make_mongo_client(stack.mongodb_uri)
    try:
        cursor = client[database]["assignments"].find({"call_id": {"$in": list(call_ids)}})
        return [doc async for doc in cursor]
    finally:
        await client.close()


def assert_never_over_assigned(docs: Sequence[Any], calls: Sequence[PublicJobCall]) -> None:
    per_project = Counter((d["call_id"], d["project_id"]) for d in docs)
    for call in calls:
        for p in call.projects:
            assert per_project[(call.call_id, p.id)] == p.positions, (call.call_id, p.id)
    assert all(1 <= d["seat"] <= POSITIONS[d["project_id"]] for d in docs)
    applications = Counter(d["application_id"] for d in docs)
    assert max(applications.values()) == 1


async def test_two_instances_never_assign_a_position_twice_nor_an_applicant_two_positions(
    stack: Stack,
) -> None:
    run = uuid.uuid4().hex[:6]
    calls = public_job_calls(run, 4)
    catalog = ProjectCatalog(tuple(calls))
    applications = {
        call.call_id: [f"a-{run}-{n}-{i}" for i in range(PER_CALL)] for n, call in enumerate(calls)
    }
    # Every third applicant asks for the "far" project; the rest live near it (노원구).
    await publish_many(
        stack.bootstrap_servers,
        Topic.APPLICATION_SUBMITTED,
        [
            submitted(call_id, app_id, "far" if i % 3 == 0 else None)
            for call_id, ids in applications.items()
            for i, app_id in enumerate(ids)
        ],
    )
    settings = PlacementSettings(**stack.service_env("placement"))
    first, second = (create_app(settings, projects=catalog) for _ in range(2))
    async with running(first) as client:
        await asyncio.sleep(3)  # the preferences are in before the selections
        await publish_many(
            stack.bootstrap_servers,
            Topic.APPLICATION_SELECTED,
            [
                selected(call_id, app_id, rank=i + 1)
                for call_id, ids in applications.items()
                for i, app_id in enumerate(ids)
            ],
        )
        async with running(second):  # joins while the first is assigning
            records = await collect(
                stack.bootstrap_servers,
                [InternalTopic.PUBLIC_JOB_ASSIGNED.value],
                lambda r: json.loads(r.value)["data"]["call_id"] in applications,
                expected=len(calls) * sum(POSITIONS.values()),
                within=120,
                settle=5.0,
            )
        events = [json.loads(r.value) for r in records]
        by_preference = [e["data"] for e in events if e["data"]["preference"] == "project"]
        asker = by_preference[0]["application_id"] if by_preference else "nobody"
        positions = (await client.get(f"/public-job-calls/{calls[0].call_id}/positions")).json()
        assignment = (await client.get(f"/applications/{asker}/assignment")).json()
    docs = await stored_assignments(stack, settings.mongodb_database, list(applications))

    assert_never_over_assigned(docs, calls)
    by_application: dict[str, set[str]] = {}
    for event in events:
        by_application.setdefault(event["data"]["application_id"], set()).add(event["event_id"])
    assert len(by_application) == len(calls) * sum(POSITIONS.values())
    assert all(len(ids) == 1 for ids in by_application.values())  # a repeat is the same event
    assert by_application.keys() == {d["application_id"] for d in docs}
    assert {r.key.decode() for r in records} == by_application.keys()
    # Each call: seven placed, three left without a position (and recorded as such).
    for ids in applications.values():
        assert len(set(ids) & by_application.keys()) == 7
    assert (positions["positions"], positions["assigned"]) == (7, 7)
    first_call = applications[calls[0].call_id]
    assert sorted(positions["unplaced"]) == sorted(set(first_call) - by_application.keys())
    # Who asked for "far" and got it by that preference is there, on the project's terms.
    asked = {app_id for ids in applications.values() for app_id in ids[::3]}
    assert by_preference
    assert all(d["project_id"] == "far" and d["application_id"] in asked for d in by_preference)
    assert (assignment["project_id"], assignment["preference"]) == ("far", "project")
    assert assignment["assignment"]["workplace"] == "노원구청"
    assert assignment["assignment"]["monthly_pay_krw"] == 1_564_680


class CountingStore(PlacementStore):
    """The store, counting the seats its inserts were refused."""

    refused = 0

    async def claim_seats(self, call_id: str, claims: Sequence[SeatClaim]) -> list[bool]:
        went_in = await super().claim_seats(call_id, claims)
        self.refused += went_in.count(False)
        return went_in


class Recorder:
    """Stands in for a publisher: keeps what would have gone to Kafka."""

    def __init__(self) -> None:
        self.sent: list[Outgoing[Any]] = []

    async def publish(self, *events: Outgoing[Any]) -> None:
        self.sent.extend(events)


def writer(store: PlacementStore, catalog: ProjectCatalog, recorder: Recorder) -> use_cases.Ports:
    publisher = cast(EventPublisher[Any], recorder)
    return use_cases.Ports(
        store=store,
        publish=use_cases.Publishers(publisher, publisher, publisher, publisher),
        projects=catalog,
        course_skills={},
        gauges=OutcomeGauges(CollectorRegistry()),
        clock=now_kst,
    )


def command(
    call_id: str, application_id: str, rank: int, at: datetime
) -> Envelope[AssignmentRequested]:
    return Envelope[AssignmentRequested](
        event_id=str(uuid.uuid4()),
        event_type=InternalTopic.ASSIGNMENT_COMMANDS.value,
        occurred_at=at,
        producer="placement",
        correlation_id=application_id,
        data=AssignmentRequested(
            application_id=application_id,
            applicant_id=f"p-{application_id}",
            call_id=call_id,
            rank=rank,
            selected_at=at,
        ),
    )


async def test_two_writers_that_both_believe_a_call_is_empty_are_kept_apart_by_the_inserts(
    stack: Stack,
) -> None:
    """Both writers plan the same seats for overlapping applicants and insert at once: each
    seat and each applicant goes in once, the loser reads the call again and places the rest,
    and an applicant both handled is published by both with one event id."""
    run = uuid.uuid4().hex[:6]
    [call] = public_job_calls(run, 1)
    catalog = ProjectCatalog((call,))
    now = now_kst()
    everyone = [command(call.call_id, f"a-{run}-{i}", i + 1, now) for i in range(9)]
    client = make_mongo_client(stack.mongodb_uri)
    database = f"test_placement_race_{run}"
    try:
        stores = [CountingStore(client[database]) for _ in range(2)]
        await stores[0].create_indexes()
        for store in stores:  # each reads the call, empty, before either writes
            assert (await store.positions(call.call_id)).assigned == {}
        recorders = [Recorder(), Recorder()]
        await asyncio.gather(
            use_cases.assign_positions(writer(stores[0], catalog, recorders[0]), everyone[:6]),
            use_cases.assign_positions(writer(stores[1], catalog, recorders[1]), everyone[3:]),
        )
        docs = [doc async for doc in client[database]["assignments"].find({})]
        unplaced = [doc["_id"] async for doc in client[database]["unplaced"].find({})]
    finally:
        await client.close()

    assert sum(store.refused for store in stores) > 0  # they did collide
    assert_never_over_assigned(docs, [call])
    assert len(docs) == 7
    assert len(unplaced) == 2
    published: dict[str, set[str]] = {}
    for recorder in recorders:
        for sent in recorder.sent:
            published.setdefault(sent.data.application_id, set()).add(sent.event_id)
    assert published.keys() == {d["application_id"] for d in docs}
    assert all(len(ids) == 1 for ids in published.values())


async def test_applications_to_training_calls_cost_placement_no_database_write(
    stack: Stack,
) -> None:
    """Placement keeps the preferences of applications to public-job calls only; the others
    (most of a call's opening burst) are skipped before its inbox, not claimed there."""
    run = uuid.uuid4().hex[:6]
    public = public_job_calls(run, 1)
    training = [submitted(f"training-{run}", f"t-{run}-{i}", None) for i in range(30)]
    jobs = [submitted(public[0].call_id, f"j-{run}-{i}", "far") for i in range(3)]
    await publish_many(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, [*training, *jobs])
    event_ids = {key: json.loads(value)["event_id"] for key, value in [*training, *jobs]}
    settings = PlacementSettings(**stack.service_env("placement"))
    client = make_mongo_client(stack.mongodb_uri)
    inbox = client[settings.mongodb_database]["inbox"]

    async def claimed() -> set[str]:
        return {doc["_id"] async for doc in inbox.find({"_id": {"$in": list(event_ids.values())}})}

    try:
        async with running(create_app(settings, projects=ProjectCatalog(tuple(public)))):
            jobs_claimed = {event_ids[key] for key, _ in jobs}
            assert await wait_for(lambda: _contains(claimed(), jobs_claimed), within=60, settle=3.0)
            assert await claimed() == jobs_claimed
    finally:
        await client.close()


async def _contains(found: Awaitable[set[str]], wanted: set[str]) -> bool:
    return wanted <= await found
