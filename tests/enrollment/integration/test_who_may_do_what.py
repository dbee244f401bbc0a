"""Each role's allowed and forbidden actions in enrollment, on the real stack with real tokens:
an operator acts only on the cohorts of their programs, and every attendance edit and
completion is in the audit log with who, what, when and the request id."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.enrollment.app import EnrollmentSettings
from services.enrollment.app import create_app as create_enrollment
from shared.clock import now_kst
from tests.conftest import Stack, as_auditor, as_citizen, as_operator, running
from tests.enrollment.integration.helpers import cohort_body

pytestmark = pytest.mark.integration

PROGRAM = "technical-training-institutes"  # cohort_body's program


@pytest.fixture
async def enrollment(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    app = create_enrollment(EnrollmentSettings(**stack.service_env("enrollment")))
    async with running(app, headers={}) as client:  # no token unless a request brings one
        yield client


async def test_an_operator_acts_only_on_the_cohorts_of_their_programs_and_is_audited(
    enrollment: httpx.AsyncClient,
) -> None:
    tag = uuid.uuid4().hex[:8]
    body = cohort_body(tag, now_kst(), capacity=2)
    cohort_id = body["id"]
    theirs = as_operator(PROGRAM, sub="op-campus")
    outsider = as_operator("youth-job-academy", sub="op-elsewhere")

    assert (await enrollment.post("/cohorts", json=body, headers=outsider)).status_code == 403
    assert (await enrollment.post("/cohorts", json=body, headers=theirs)).status_code == 201
    marks = {"marks": [{"enrollment_id": "nobody-yet", "present": True}]}
    attendance = f"/cohorts/{cohort_id}/sessions/1/attendance"
    for method, path, json in (
        ("GET", f"/cohorts/{cohort_id}/roster", None),
        ("POST", attendance, marks),
        ("POST", f"/cohorts/{cohort_id}/completion", None),
    ):
        answer = await enrollment.request(method, path, json=json, headers=outsider)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["detail"][0]["field"] == "program_id"
    assert (await enrollment.get(f"/cohorts/{cohort_id}/roster", headers=theirs)).status_code == 200
    assert (
        await enrollment.get(f"/cohorts/{cohort_id}/roster", headers=as_auditor())
    ).status_code == 200
    # Reading the catalog is open to every citizen; the roster is not.
    citizen = as_citizen("A-1")
    assert (await enrollment.get(f"/cohorts/{cohort_id}", headers=citizen)).status_code == 200
    assert (
        await enrollment.get(f"/cohorts/{cohort_id}/roster", headers=citizen)
    ).status_code == 403

    log = await enrollment.get("/audit", headers=as_auditor())
    assert log.status_code == 200
    entries = [e for e in log.json() if e["target"] == cohort_id]
    assert [(e["action"], e["actor"]) for e in entries] == [("cohort.added", "op-campus")]
    assert entries[0]["details"] == {"program_id": PROGRAM}
    assert entries[0]["request_id"]


async def test_a_citizen_sees_and_answers_only_their_own_offers(
    enrollment: httpx.AsyncClient,
) -> None:
    mine = await enrollment.get("/applicants/A-1/offers", headers=as_citizen("A-1"))
    assert mine.status_code == 200
    assert mine.json() == {"applicant_id": "A-1", "offers": []}
    for method, path in (
        ("GET", "/applicants/A-2/offers"),
        ("GET", "/applicants/A-2/enrollments"),
        ("POST", "/applicants/A-2/offers/o-1/accept"),
        ("POST", "/applicants/A-2/enrollments/e-1/withdraw"),
    ):
        answer = await enrollment.request(method, path, headers=as_citizen("A-1"))
        assert answer.status_code == 403, (path, answer.text)
    # Staff of every program may read a citizen's offers, never answer for them.
    assert (
        await enrollment.get("/applicants/A-2/offers", headers=as_operator())
    ).status_code == 200
    assert (
        await enrollment.get("/applicants/A-2/offers", headers=as_operator(PROGRAM))
    ).status_code == 403
    assert (
        await enrollment.post("/applicants/A-2/offers/o-1/accept", headers=as_operator())
    ).status_code == 403
