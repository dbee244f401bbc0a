"""Each role's allowed and forbidden actions in recruitment, on the real stack with real tokens:
a citizen applies for themself and reads only their own application; a partner submits; an
operator acts only on the calls of their programs; an auditor reads selection runs and the
audit log, which holds every operator action with who, what, when and the request id."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.recruitment.app import RecruitmentSettings
from services.recruitment.app import create_app as create_recruitment
from tests.conftest import (
    Stack,
    as_auditor,
    as_citizen,
    as_operator,
    as_partner,
    running,
    wait_for,
)
from tests.e2e.applicants import applicant, open_call

pytestmark = pytest.mark.integration

PROGRAM = "companion-jobs"  # open_call's program
OTHER_PROGRAM = "youth-job-academy"


@pytest.fixture
async def recruitment(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    app = create_recruitment(
        RecruitmentSettings(**stack.service_env("recruitment"), seed_catalog=True)
    )
    async with running(app, headers={}) as client:  # no token unless a request brings one
        yield client


def form(call_id: str, person: dict[str, Any]) -> dict[str, Any]:
    return {"call_id": call_id, "applicant": person}


async def test_a_citizen_applies_for_themself_and_reads_only_their_own_application(
    recruitment: httpx.AsyncClient,
) -> None:
    call_id = f"who-{uuid.uuid4().hex[:8]}"
    operator = as_operator(PROGRAM)
    assert (await recruitment.post("/calls", json=open_call(call_id), headers=operator)).is_success
    assert (await recruitment.post(f"/calls/{call_id}/open", headers=operator)).is_success
    me, neighbour = applicant(), applicant()

    answer = await recruitment.post(
        "/applications", json=form(call_id, me), headers=as_citizen(me["applicant_id"])
    )
    assert answer.status_code == 202, answer.text
    application_id = answer.json()["application_id"]
    for_someone_else = await recruitment.post(
        "/applications", json=form(call_id, neighbour), headers=as_citizen(me["applicant_id"])
    )
    assert for_someone_else.status_code == 403
    assert for_someone_else.json()["detail"] == [
        {"field": "applicant.applicant_id", "problem": "a citizen applies only for themself"}
    ]

    async def own_status() -> httpx.Response | None:
        seen = await recruitment.get(
            f"/applications/{application_id}", headers=as_citizen(me["applicant_id"])
        )
        return seen if seen.status_code == 200 else None

    assert await wait_for(own_status, within=30)
    theirs = await recruitment.get(
        f"/applications/{application_id}", headers=as_citizen(neighbour["applicant_id"])
    )
    assert theirs.status_code == 403
    assert theirs.json()["detail"] == [
        {"field": "applicant_id", "problem": "another citizen's data"}
    ]
    # Staff of the call's program see it; an operator of another program does not.
    assert (
        await recruitment.get(f"/applications/{application_id}", headers=as_operator(PROGRAM))
    ).status_code == 200
    assert (
        await recruitment.get(f"/applications/{application_id}", headers=as_operator(OTHER_PROGRAM))
    ).status_code == 403
    assert (
        await recruitment.get(f"/applications/{application_id}", headers=as_auditor())
    ).status_code == 200
    # No token at all: 401, and the answer says how to authenticate.
    anonymous = await recruitment.get(f"/applications/{application_id}")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"


async def test_a_partner_submits_for_anyone_but_may_do_nothing_else(
    recruitment: httpx.AsyncClient,
) -> None:
    call_id = f"who-{uuid.uuid4().hex[:8]}"
    operator = as_operator(PROGRAM)
    await recruitment.post("/calls", json=open_call(call_id), headers=operator)
    await recruitment.post(f"/calls/{call_id}/open", headers=operator)
    partner = as_partner()
    answer = await recruitment.post(
        "/applications", json=form(call_id, applicant()), headers=partner
    )
    assert answer.status_code == 202, answer.text
    for method, path in (
        ("GET", f"/applications/{answer.json()['application_id']}"),
        ("GET", "/calls"),
        ("POST", f"/calls/{call_id}/close"),
        ("GET", f"/calls/{call_id}/selection-runs"),
    ):
        refused = await recruitment.request(method, path, headers=partner)
        assert refused.status_code == 403, (method, path)


async def test_an_operator_acts_only_on_their_programs_and_the_auditor_sees_every_action(
    recruitment: httpx.AsyncClient,
) -> None:
    call_id = f"who-{uuid.uuid4().hex[:8]}"
    theirs, outsider = as_operator(PROGRAM, sub="op-companion"), as_operator(OTHER_PROGRAM)

    refused = await recruitment.post("/calls", json=open_call(call_id), headers=outsider)
    assert refused.status_code == 403
    assert refused.json()["detail"] == [
        {"field": "program_id", "problem": f"'{PROGRAM}' is not one of your programs"}
    ]
    added = await recruitment.post("/calls", json=open_call(call_id), headers=theirs)
    assert added.status_code == 201
    assert (await recruitment.post(f"/calls/{call_id}/open", headers=outsider)).status_code == 403
    opened = await recruitment.post(
        f"/calls/{call_id}/open", headers=theirs | {"X-Request-ID": "req-open-1"}
    )
    assert opened.status_code == 200
    assert opened.headers["x-request-id"] == "req-open-1"
    assert (await recruitment.post(f"/calls/{call_id}/close", headers=theirs)).status_code == 200
    selection = await recruitment.post(f"/calls/{call_id}/selection", json={}, headers=theirs)
    assert selection.status_code == 201, selection.text
    assert (await recruitment.post(f"/calls/{call_id}/publish", headers=theirs)).status_code == 200

    # The auditor reads selection runs and the replay, but changes nothing.
    auditor = as_auditor()
    runs = await recruitment.get(f"/calls/{call_id}/selection-runs", headers=auditor)
    assert runs.status_code == 200
    [run] = runs.json()
    replay = await recruitment.get(
        f"/calls/{call_id}/selection-runs/{run['run_id']}/replay", headers=auditor
    )
    assert replay.json()["identical"] is True
    assert (await recruitment.post(f"/calls/{call_id}/close", headers=auditor)).status_code == 403
    assert (
        await recruitment.get(f"/calls/{call_id}/selection-runs", headers=outsider)
    ).status_code == 403

    log = await recruitment.get("/audit", params={"actor": "op-companion"}, headers=auditor)
    assert log.status_code == 200
    mine = [e for e in log.json() if e["target"] == call_id]
    assert [e["action"] for e in reversed(mine)] == [
        "call.added",
        "call.opened",
        "call.closed",
        "selection.ran",
        "selection.published",
    ]
    assert {e["actor"] for e in mine} == {"op-companion"}
    assert all(e["roles"] == ["operator"] and e["service"] == "recruitment" for e in mine)
    assert [e["request_id"] for e in mine if e["action"] == "call.opened"] == ["req-open-1"]
    assert mine[1]["details"] == {"run_id": run["run_id"], "method": "ranked", "seed": None}
    # Refused attempts changed nothing and are not operator actions.
    assert not [e for e in log.json() if e["actor"] != "op-companion"]
    assert (await recruitment.get("/audit", headers=theirs)).status_code == 403
