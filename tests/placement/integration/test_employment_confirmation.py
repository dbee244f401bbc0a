"""Employment confirmation on the real broker and database: insurance confirms at once, an
employer's or a citizen's report waits for an operator or for insurance, a job is one
employment and one `placement.employment.confirmed` whoever reports or verifies it."""

import json
import uuid
from typing import Any

import pytest

from services.placement.app import PlacementSettings, create_app
from shared.topics import InternalTopic, Topic
from tests.conftest import Stack, collect, publish_many, running, wait_for
from tests.shared.test_event_kit_on_real_stack import report_event

pytestmark = pytest.mark.integration


def about(applicant: str) -> Any:
    return lambda r: json.loads(r.value)["data"]["applicant_id"] == applicant


async def confirmed_events(stack: Stack, applicant: str, expected: int = 1) -> list[Any]:
    records = await collect(
        stack.bootstrap_servers,
        [Topic.EMPLOYMENT_CONFIRMED.value],
        about(applicant),
        expected=expected,
    )
    return [json.loads(r.value) for r in records]


async def test_insurance_confirms_at_once_and_an_employers_report_waits_for_the_operator(
    stack: Stack,
) -> None:
    insured, reported = (f"p-{uuid.uuid4().hex[:8]}" for _ in range(2))
    employer_report = f"r-{uuid.uuid4().hex[:8]}"
    app = create_app(PlacementSettings(**stack.service_env("placement")))
    async with running(app) as client:
        await publish_many(
            stack.bootstrap_servers,
            Topic.EMPLOYMENT_REPORTED,
            [
                (insured, report_event(insured)),
                (reported, report_event(reported, source="employer", report_id=employer_report)),
            ],
        )
        assert [e["data"]["source"] for e in await confirmed_events(stack, insured)] == [
            "employment_insurance"
        ]

        async def waiting() -> list[Any]:
            pending = (await client.get("/employment-reports/pending")).json()
            return [p for p in pending if p["report"]["applicant_id"] == reported]

        [pending] = await wait_for(waiting)
        assert pending["report"]["report_id"] == employer_report
        assert (await client.get(f"/applicants/{reported}/employments")).json()["employments"] == []

        path = f"/employment-reports/{employer_report}/verification"
        first = await client.post(path, json={"verified_by": "op-7"})
        again = await client.post(path, json={"verified_by": "op-8"})
        events = await confirmed_events(stack, reported)
        unknown = await client.post(
            "/employment-reports/no-such-report/verification", json={"verified_by": "op-7"}
        )
        still_pending = await waiting()

    assert first.status_code == 200
    assert first.json()["confirmed_now"] is True
    assert first.json()["employment"]["verified_by"] == "op-7"
    assert again.json()["confirmed_now"] is False  # the operator's second click confirms nothing
    assert again.json()["employment"]["verified_by"] == "op-7"
    assert [(e["data"]["source"], e["data"]["report_id"]) for e in events] == [
        ("employer", employer_report)
    ]
    assert events[0]["correlation_id"] == f"app-{reported}"  # the report's journey
    assert unknown.status_code == 404
    assert unknown.json() == {
        "detail": [{"field": "report_id", "problem": "no employment report with this id"}]
    }
    assert still_pending == []


async def test_a_self_report_is_confirmed_by_the_matching_insurance_record_once_for_all(
    stack: Stack,
) -> None:
    """A citizen reports a job (and, by mistake, the same report twice); employment insurance
    then reports it under its own id; an operator verifying the citizen's report afterwards
    finds it confirmed. One employment, one confirmation, three reports kept."""
    applicant = f"p-{uuid.uuid4().hex[:8]}"
    own = f"r-{uuid.uuid4().hex[:8]}"
    app = create_app(PlacementSettings(**stack.service_env("placement")))
    async with running(app) as client:
        await publish_many(
            stack.bootstrap_servers,
            Topic.EMPLOYMENT_REPORTED,
            [
                (applicant, report_event(applicant, source="self_report", report_id=own)),
                (applicant, report_event(applicant, source="self_report", report_id=own)),
                (applicant, report_event(applicant, source="employer")),
            ],
        )

        async def reports() -> list[Any]:
            body = (await client.get(f"/applicants/{applicant}/employments")).json()
            return list(body["reports"]) if len(body["reports"]) == 2 else []

        assert await wait_for(reports)
        assert (await client.get(f"/applicants/{applicant}/employments")).json()[
            "employments"
        ] == []
        await publish_many(
            stack.bootstrap_servers,
            Topic.EMPLOYMENT_REPORTED,
            # the same person, employer and start date; a job title written differently
            [(applicant, report_event(applicant, job_title="개발자"))],
        )
        events = await confirmed_events(stack, applicant)
        late = await client.post(
            f"/employment-reports/{own}/verification", json={"verified_by": "op-7"}
        )
        body = (await client.get(f"/applicants/{applicant}/employments")).json()
        pending = (await client.get("/employment-reports/pending")).json()

    assert [e["data"]["source"] for e in events] == ["employment_insurance"]
    assert late.json()["confirmed_now"] is False
    assert late.json()["employment"]["source"] == "employment_insurance"
    assert len(body["employments"]) == 1
    assert len(body["reports"]) == 3
    assert not [p for p in pending if p["report"]["applicant_id"] == applicant]


async def test_a_hire_at_a_pathway_partner_opens_its_study_course_once(stack: Stack) -> None:
    """Employment first, study later: the employer is registered with its linked course; a
    confirmed hire there publishes placement.study-pathway.opened for enrollment."""
    applicant = f"p-{uuid.uuid4().hex[:8]}"
    partner = f"{uuid.uuid4().int % 900 + 100}-81-{uuid.uuid4().int % 90000 + 10000}"
    app = create_app(PlacementSettings(**stack.service_env("placement")))
    async with running(app) as client:
        registered = await client.post(
            "/employers",
            json={
                "business_no": partner,
                "name": "서울로보틱스",
                "study_course": {
                    "program_id": "seoul-vocational-innovation-district",
                    "course_id": "robotics-work-study",
                    "course_name": "로봇 분야 선취업-후학습 과정",
                },
            },
        )
        hire = report_event(applicant, employer={"business_no": partner, "name": "서울로보틱스"})
        await publish_many(
            stack.bootstrap_servers,
            Topic.EMPLOYMENT_REPORTED,
            [(applicant, hire), (applicant, hire)],
        )
        opened = await collect(
            stack.bootstrap_servers,
            [InternalTopic.STUDY_PATHWAY_OPENED.value],
            about(applicant),
            expected=1,
        )
        confirmed = await confirmed_events(stack, applicant)

    assert registered.status_code == 200
    assert len(confirmed) == 1
    [record] = opened
    assert record.key == applicant.encode()
    event = json.loads(record.value)
    assert event["data"]["course_id"] == "robotics-work-study"
    assert event["data"]["employer"]["business_no"] == partner
    assert event["causation_id"] == json.loads(hire)["event_id"]
