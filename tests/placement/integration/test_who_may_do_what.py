"""Each role's allowed and forbidden actions in placement, on the real stack with real tokens:
a citizen reads only their own employments; an operator sees the public-job positions of their
programs only; an employment verification is an operator's action, in the audit log with who,
what, when and the request id; an auditor reads but never verifies."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.placement.app import PlacementSettings, create_app
from shared.topics import Topic
from tests.conftest import (
    Stack,
    as_auditor,
    as_citizen,
    as_operator,
    publish_many,
    running,
    wait_for,
)
from tests.shared.test_event_kit_on_real_stack import report_event

pytestmark = pytest.mark.integration

COMPANION_CALL = "companion-2025h2-care-health"  # a public-job call of companion-jobs


@pytest.fixture
async def placement(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(PlacementSettings(**stack.service_env("placement")))
    async with running(app, headers={}) as client:  # no token unless a request brings one
        yield client


async def test_an_operator_sees_only_the_positions_of_their_programs(
    placement: httpx.AsyncClient,
) -> None:
    companion, academy = as_operator("companion-jobs"), as_operator("youth-job-academy")
    theirs = (await placement.get("/public-job-calls", headers=companion)).json()
    assert COMPANION_CALL in theirs
    assert all(call.startswith("companion-") for call in theirs)
    assert (await placement.get("/public-job-calls", headers=academy)).json() == []
    path = f"/public-job-calls/{COMPANION_CALL}/positions"
    assert (await placement.get(path, headers=companion)).status_code == 200
    refused = await placement.get(path, headers=academy)
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["field"] == "program_id"
    assert (await placement.get(path, headers=as_auditor())).status_code == 200
    assert (await placement.get(path, headers=as_citizen("A-1"))).status_code == 403


async def test_a_verification_is_an_operator_s_audited_action_and_a_citizen_sees_only_their_own(
    stack: Stack, placement: httpx.AsyncClient
) -> None:
    applicant = f"p-{uuid.uuid4().hex[:8]}"
    report_id = f"r-{uuid.uuid4().hex[:8]}"
    await publish_many(
        stack.bootstrap_servers,
        Topic.EMPLOYMENT_REPORTED,
        [(applicant, report_event(applicant, source="employer", report_id=report_id))],
    )
    operator = as_operator(sub="op-verifier")

    async def waiting() -> list[Any]:
        pending = (await placement.get("/employment-reports/pending", headers=operator)).json()
        return [p for p in pending if p["report"]["report_id"] == report_id]

    assert await wait_for(waiting)
    path = f"/employment-reports/{report_id}/verification"
    body = {"verified_by": "op-verifier"}
    for outsider in (as_auditor(), as_citizen(applicant)):
        assert (await placement.post(path, json=body, headers=outsider)).status_code == 403
    verified = await placement.post(
        path, json=body, headers=operator | {"X-Request-ID": f"req-{report_id}"}
    )
    assert verified.status_code == 200, verified.text

    own = await placement.get(f"/applicants/{applicant}/employments", headers=as_citizen(applicant))
    assert own.status_code == 200
    assert [e["employment_id"] for e in own.json()["employments"]]
    other = await placement.get(
        f"/applicants/{applicant}/employments", headers=as_citizen("someone-else")
    )
    assert other.status_code == 403
    assert (await placement.get(f"/applicants/{applicant}/employments")).status_code == 401

    log = (await placement.get("/audit", headers=as_auditor())).json()
    [entry] = [e for e in log if e["target"] == report_id]
    assert (entry["action"], entry["actor"], entry["request_id"]) == (
        "employment.verified",
        "op-verifier",
        f"req-{report_id}",
    )
    assert entry["details"] == {"verified_by": "op-verifier", "confirmed_now": True}
    assert entry["service"] == "placement" and entry["at"]
