"""The fence between intake and selection, on the real broker and database: no application is
stored after a selection run has read the call's applications, so none goes without an answer.
"""

import asyncio
import json
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from services.recruitment.adapters.store import RecruitmentStore
from services.recruitment.app import RecruitmentSettings
from services.recruitment.app import create_app as create_recruitment
from shared.clock import now_kst
from shared.mongo import make_mongo_client
from shared.topics import Topic
from tests.conftest import Stack, collect, publish_many, running, wait_for
from tests.e2e.applicants import applicant, open_call, submitted_event

pytestmark = pytest.mark.integration

LATE_BURST = 2_000


async def test_selection_waits_for_an_intake_batch_under_way_and_later_batches_see_the_fence(
    stack: Stack,
) -> None:
    client = make_mongo_client(stack.mongodb_uri)
    store = RecruitmentStore(client[f"test_fence_{uuid.uuid4().hex[:8]}"])
    try:
        async with store.intake(["call-a", "call-b"]) as started:
            assert started == set()
            fencing = asyncio.create_task(store.fence_intake("call-a", now_kst()))
            await asyncio.sleep(0.5)
            assert not fencing.done(), "selection read while a batch was still storing"
        await asyncio.wait_for(fencing, 5)
        async with store.intake(["call-a", "call-b"]) as started:
            assert started == {"call-a"}
    finally:
        await client.close()


async def test_an_intake_batch_cut_short_by_a_crash_holds_selection_up_only_until_it_is_stale(
    stack: Stack,
) -> None:
    client = make_mongo_client(stack.mongodb_uri)
    db = client[f"test_fence_{uuid.uuid4().hex[:8]}"]
    store = RecruitmentStore(db, intake_batch_stale_after=timedelta(seconds=1))
    try:
        await db["intake_batches"].insert_one({"_id": "crashed", "started_at": now_kst()})
        await asyncio.wait_for(store.fence_intake("call-a", now_kst()), 5)
    finally:
        await client.close()


async def test_applications_still_arriving_when_selection_starts_are_decided_or_refused(
    stack: Stack,
) -> None:
    """A closed call's applications are still coming in from a partner's queue (submitted
    before the close) when an operator runs selection. Every one of them is answered: it is
    in the run's decisions, or refused with `call.selection_started`; none is stored after the
    run read the applications and left without a decision."""
    call_id = f"fence-{uuid.uuid4().hex[:8]}"
    submitted_at = (now_kst() - timedelta(minutes=1)).isoformat()
    events = []
    for person in (applicant() for _ in range(LATE_BURST)):
        application_id, raw = submitted_event(call_id, person)
        envelope = json.loads(raw)
        envelope["data"]["submitted_at"] = submitted_at
        events.append((application_id, json.dumps(envelope).encode()))
    ids = {application_id for application_id, _ in events}
    app = create_recruitment(RecruitmentSettings(**stack.service_env("recruitment")))
    async with running(app) as client:
        call = open_call(call_id, quota=LATE_BURST // 4)
        assert (await client.post("/calls", json=call)).status_code == 201
        assert (await client.post(f"/calls/{call_id}/open")).status_code == 200
        assert (await client.post(f"/calls/{call_id}/close")).status_code == 200
        await publish_many(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, events)

        async def some_stored() -> bool:
            detail = (await client.get(f"/calls/{call_id}")).json()
            return bool(detail["applications"]["received"])

        assert await wait_for(some_stored, within=60)
        selection = await client.post(f"/calls/{call_id}/selection", json={})
        assert selection.status_code == 201, selection.text
        screened = await collect(
            stack.bootstrap_servers,
            [Topic.APPLICATION_SCREENED.value],
            lambda r: r.key.decode() in ids,
            expected=LATE_BURST,
            within=120,
        )
        ranking = (await client.get(f"/calls/{call_id}/ranking")).json()
        decided = {decision["application_id"] for decision in ranking["decisions"]}
        detail = (await client.get(f"/calls/{call_id}")).json()

    # Refused as late: while selection runs, or after it (then the call reads as closed).
    refused_late: dict[str, str] = {}
    for record in screened:
        data: dict[str, Any] = json.loads(record.value)["data"]
        for rule in data["failed_rules"]:
            if rule["code"] in ("call.selection_started", "call.closed"):
                refused_late[data["application_id"]] = rule["code"]
    print(f"\n{len(decided)} decided by the run, refused as late: {Counter(refused_late.values())}")
    assert {json.loads(r.value)["data"]["application_id"] for r in screened} == ids
    assert decided | refused_late.keys() == ids
    assert not decided & refused_late.keys()
    assert detail["applications"]["received"] == len(decided)
