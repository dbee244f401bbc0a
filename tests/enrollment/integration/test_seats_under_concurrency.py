"""Never over-booked, by design: two enrollment instances in one consumer group, on the real
broker and database, take 1,000 selections and waitlistings for four cohorts of 25 seats (100
in all), arriving shuffled (waitlist positions out of order), some delivered twice and some
re-sent under a new event id. The second instance joins halfway, so the partitions move while
commands are in flight. Citizens answer their offers through either instance, every answer sent
twice (once to each); about one in four declines, and each decline must promote the next on
the waitlist.

Done when: exactly 100 seats are confirmed, nobody holds two seats (nor, at any moment seen,
does a cohort hold more than its 25), the waitlist is promoted strictly in position order, and
each cohort's `cohort.filled` is published once.
"""

import asyncio
import json
import random
import time
import uuid
from collections import Counter, defaultdict
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from aiokafka.partitioner import DefaultPartitioner

from services.enrollment.app import EnrollmentSettings
from services.enrollment.app import create_app as create_enrollment
from shared.clock import now_kst
from shared.mongo import make_mongo_client
from shared.topics import Topic
from tests.conftest import Stack, as_citizen, collect, publish_many, running
from tests.enrollment.integration.helpers import about, cohort_body, data_of, decided

pytestmark = pytest.mark.integration

COHORTS = 4
SEATS = 25
WAITLISTED = 225  # per cohort: 25 + 225 = 250 decisions, 1,000 in all
DELIVERED_TWICE = 100
RESENT = 50  # the same decision under a new event id
PARTITIONS = 3  # deploy.local.stack.create_topics
DEADLINE_SECONDS = 300


def declines(application_id: str) -> bool:
    """Applicant number n of a cohort (selected s1…s25, waitlisted w1…w225) declines when
    n % 4 == 2: 6 selected per cohort, then w2 and w6 among those promoted."""
    return int(application_id.rsplit("-", 1)[1][1:]) % 4 == 2


def cohort_ids(tag: str) -> list[str]:
    """Cohort ids whose seat commands land on every partition, so that both instances own
    cohorts whichever partitions they are given."""
    partitioner = DefaultPartitioner()
    found: dict[int, list[str]] = defaultdict(list)
    n = 0
    while len(found) < PARTITIONS or sum(len(v) for v in found.values()) < COHORTS:
        cohort_id = f"cohort-{tag}-{n}"
        partition = partitioner(cohort_id.encode(), list(range(PARTITIONS)), [])
        if len(found[partition]) < 2:
            found[partition].append(cohort_id)
        n += 1
    chosen = [ids[0] for ids in found.values()]
    rest = [i for ids in found.values() for i in ids[1:]]
    return (chosen + rest)[:COHORTS]


async def test_two_instances_confirm_exactly_the_seats_there_are_and_promote_in_order(
    stack: Stack,
) -> None:
    tag = uuid.uuid4().hex[:6]
    env = stack.service_env("enrollment")
    settings = EnrollmentSettings(
        **env, deadline_check_seconds=5.0, gauge_refresh_seconds=60.0, cohort_refresh_seconds=1.0
    )
    first, second = create_enrollment(settings), create_enrollment(settings)
    rng = random.Random(20251)
    cohorts = cohort_ids(tag)
    now = now_kst()

    people: dict[str, str] = {}  # application id -> applicant id
    position: dict[str, int] = {}  # waitlisted application id -> position
    events: list[tuple[str, str, bytes]] = []
    for cohort_id in cohorts:
        call_id = f"call-{cohort_id.removeprefix('cohort-')}"  # as cohort_body names it
        for n in range(1, SEATS + WAITLISTED + 1):
            selected = n <= SEATS
            application_id = f"{cohort_id}-{'s' if selected else 'w'}{n if selected else n - SEATS}"
            people[application_id] = f"p-{uuid.uuid4().hex[:10]}"
            if selected:
                event = decided(
                    call_id, application_id, people[application_id], decision="selected", rank=n
                )
            else:
                position[application_id] = n - SEATS
                event = decided(
                    call_id,
                    application_id,
                    people[application_id],
                    decision="waitlisted",
                    position=n - SEATS,
                )
            events.append(event)
    assert len(events) == COHORTS * (SEATS + WAITLISTED) == 1000
    rng.shuffle(events)
    twice = rng.sample(events, DELIVERED_TWICE)
    resent = [decided_again(topic, key, value) for topic, key, value in rng.sample(events, RESENT)]

    async def publish(batch: list[tuple[str, str, bytes]]) -> None:
        for topic in (Topic.APPLICATION_SELECTED.value, Topic.APPLICATION_WAITLISTED.value):
            await publish_many(
                stack.bootstrap_servers, topic, [(k, v) for t, k, v in batch if t == topic]
            )

    async with AsyncExitStack() as services:
        a = await services.enter_async_context(running(first))
        for cohort_id in cohorts:
            body = cohort_body(cohort_id.removeprefix("cohort-"), now, capacity=SEATS)
            assert (await a.post("/cohorts", json=body)).status_code == 201
        await publish(events[:500])
        b = await services.enter_async_context(running(second))  # the partitions move
        await publish(events[500:] + twice + resent)
        clients = (a, b)

        answered: set[str] = set()
        most_held = 0
        started = time.monotonic()
        while True:
            rosters = [
                (await clients[n % 2].get(f"/cohorts/{c}/roster")).json()
                for n, c in enumerate(cohorts)
            ]
            held = [
                r["fill"]["counts"]["offered"] + r["fill"]["counts"]["confirmed"] for r in rosters
            ]
            most_held = max(most_held, *held)
            if all(r["fill"]["counts"]["confirmed"] == SEATS for r in rosters):
                break
            assert time.monotonic() - started < DEADLINE_SECONDS, [r["fill"] for r in rosters]
            offers = [
                s
                for r in rosters
                for s in r["seats"]
                if s["status"] == "offered" and s["application_id"] not in answered
            ]
            await asyncio.gather(*(answer(clients, people, s) for s in offers))
            answered |= {s["application_id"] for s in offers}
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started

        both_wrote = [_offers_made(await client.get("/metrics")) for client in clients]
        final = [(await a.get(f"/cohorts/{c}/roster")).json() for c in cohorts]

    mine = about(set(cohorts))
    confirmed = await collect(
        stack.bootstrap_servers, [Topic.ENROLLMENT_CONFIRMED.value], mine, expected=100, within=60
    )
    filled = await collect(
        stack.bootstrap_servers, [Topic.COHORT_FILLED.value], mine, expected=COHORTS, within=30
    )
    declined = [a for a in answered if declines(a)]
    promoted = await collect(
        stack.bootstrap_servers,
        [Topic.WAITLIST_PROMOTED.value],
        mine,
        expected=len(declined),
        within=30,
    )
    print(
        f"\n{len(answered)} offers answered ({len(declined)} declined) in {elapsed:.1f}s; "
        f"offers made by each instance: {both_wrote}"
    )

    # exactly 100 seats confirmed, 25 a cohort, by 100 different people
    by_event = {_event_id(r): data_of(r) for r in confirmed}
    assert len(by_event) == COHORTS * SEATS
    seats = Counter(d["cohort_id"] for d in by_event.values())
    assert seats == dict.fromkeys(cohorts, SEATS)
    assert len({d["enrollment_id"] for d in by_event.values()}) == 100
    assert len({d["applicant_id"] for d in by_event.values()}) == 100
    assert most_held <= SEATS, "a cohort held more offers and seats than it has"
    for roster in final:
        assert roster["fill"]["counts"]["confirmed"] == SEATS
        assert roster["fill"]["counts"]["offered"] == 0
        assert roster["fill"]["times_filled"] == 1
        holders = [s for s in roster["seats"] if s["status"] in ("offered", "confirmed")]
        assert len(holders) == len({s["application_id"] for s in holders}) == SEATS
    # every decline promoted the next on the waitlist, in position order
    promoted_data = {_event_id(r): data_of(r) for r in promoted}
    assert len(promoted_data) == len(declined)
    for cohort_id in cohorts:
        positions = sorted(
            position[d["application_id"]]
            for d in promoted_data.values()
            if d["cohort_id"] == cohort_id
        )
        assert positions == list(range(1, len(positions) + 1)), positions
    for cohort_id, order in (await promotion_order(stack, env["mongodb_database"])).items():
        if cohort_id in cohorts:
            assert order == sorted(order), f"{cohort_id} promoted out of order: {order}"
    # each cohort filled once
    filled_ids = {_event_id(r): data_of(r)["cohort_id"] for r in filled}
    assert sorted(filled_ids.values()) == sorted(cohorts)
    # both instances wrote seats: one writer per cohort, not one writer for all
    assert all(n > 0 for n in both_wrote), both_wrote


def decided_again(topic: str, key: str, value: bytes) -> tuple[str, str, bytes]:
    """The same decision, re-sent under a new event id."""
    envelope = json.loads(value)
    envelope["event_id"] = str(uuid.uuid4())
    return topic, key, json.dumps(envelope, ensure_ascii=False).encode()


async def answer(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], people: dict[str, str], seat: Any
) -> None:
    """The citizen answers, and the answer is sent twice: once through each instance."""
    application_id = seat["application_id"]
    verb = "decline" if declines(application_id) else "accept"
    url = f"/applicants/{people[application_id]}/offers/{seat['offer_id']}/{verb}"
    citizen = as_citizen(people[application_id])
    answers = await asyncio.gather(*(client.post(url, headers=citizen) for client in clients))
    codes = sorted(a.status_code for a in answers)
    assert codes[0] == 202 and codes[1] in (202, 409), [a.text for a in answers]


async def promotion_order(stack: Stack, database: str) -> dict[str, list[int]]:
    """Waitlist positions promoted, per cohort, in the order the cohort's writer decided."""
    client = make_mongo_client(stack.mongodb_uri)
    try:
        views = client[database]["seat_views"]
        found: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        async for doc in views.find({"kind": "promoted"}):
            position = doc["seat"]["position"]
            if position is not None:
                found[doc["cohort_id"]].append((doc["seq"], doc["index"], position))
        return {cohort: [p for _, _, p in sorted(v)] for cohort, v in found.items()}
    finally:
        await client.close()


def _event_id(record: Any) -> str:
    return str(json.loads(record.value)["event_id"])


def _offers_made(response: httpx.Response) -> float:
    """Offers this instance's writer made (counted once per fact it appended)."""
    prefix = 'ilteo_seat_offers_total{outcome="made",program="technical-training-institutes"} '
    for line in response.text.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0
