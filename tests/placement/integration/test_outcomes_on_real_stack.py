"""Done when: completions and employment reports flow in through Kafka; placement publishes
the confirmed employments (what the citizen's message is made from: notify routes
`placement.employment.confirmed` to its `employment_confirmed` template) and serves the right
employment rate per cohort, campus and term over HTTP and as Prometheus gauges."""

import json
import uuid
from datetime import datetime
from typing import Any

import pytest

from services.placement.app import PlacementSettings, create_app
from shared.clock import SEOUL
from shared.topics import Topic
from tests.conftest import MovableClock, Stack, collect, publish_many, running, wait_for
from tests.shared.test_event_kit_on_real_stack import report_event

pytestmark = pytest.mark.integration

PROGRAM = "청년취업사관학교"
COMPLETED_AT = "2025-03-14T18:00:00+09:00"


def completed_event(
    applicant_id: str, cohort_id: str, campus_id: str | None = None
) -> tuple[str, bytes]:
    enrollment_id = f"e-{applicant_id}"
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_type": Topic.ENROLLMENT_COMPLETED.value,
        "occurred_at": COMPLETED_AT,
        "producer": "enrollment",
        "correlation_id": f"app-{applicant_id}",
        "data": {
            "enrollment_id": enrollment_id,
            "applicant_id": applicant_id,
            "cohort_id": cohort_id,
            "program_name": PROGRAM,
            "course_name": "AI 서비스 개발자 과정",
            "survey_url": f"https://jobs.seoul.example/survey/{enrollment_id}",
            "completed_at": COMPLETED_AT,
        }
        | ({"campus_id": campus_id, "campus_name": f"{campus_id} 캠퍼스"} if campus_id else {})
        | ({"term": "2024-H2"} if campus_id else {}),
    }
    return enrollment_id, json.dumps(envelope, ensure_ascii=False).encode()


def metric(text: str, name: str, program: str, cohort: str) -> float | None:
    prefix = f'{name}{{cohort="{cohort}",program="{program}"}} '
    line = next((line for line in text.splitlines() if line.startswith(prefix)), None)
    return None if line is None else float(line.removeprefix(prefix))


async def test_completions_and_reports_through_kafka_give_confirmations_and_rates_per_cohort(
    stack: Stack,
) -> None:
    run = uuid.uuid4().hex[:6]
    mapo, jongno = f"yja-{run}-mapo", f"yja-{run}-jongno"
    a1, a2, a3, a4, b1, b2 = (f"p-{run}-{name}" for name in ("a1", "a2", "a3", "a4", "b1", "b2"))
    employer_report = f"r-{run}-a3"
    await publish_many(
        stack.bootstrap_servers,
        Topic.ENROLLMENT_COMPLETED,
        [completed_event(p, mapo, "mapo") for p in (a1, a2, a3, a4)]
        + [completed_event(p, jongno, "jongno") for p in (b1, b2)],
    )
    await publish_many(
        stack.bootstrap_servers,
        Topic.EMPLOYMENT_REPORTED,
        [
            (a1, report_event(a1, start_date="2025-09-14")),  # exactly six months on: counts
            (a2, report_event(a2, start_date="2025-09-15")),  # a day later: does not
            (
                a3,
                report_event(
                    a3, start_date="2025-05-01", source="employer", report_id=employer_report
                ),
            ),
            (b1, report_event(b1, start_date="2025-04-01", source="self_report")),
            (b1, report_event(b1, start_date="2025-04-01")),  # insurance confirms the same job
            (b2, report_event(b2, start_date="2025-06-01", employment_type="part_time")),
        ],
    )
    clock = MovableClock(datetime(2026, 1, 12, 10, tzinfo=SEOUL))  # every window has closed
    app = create_app(PlacementSettings(**stack.service_env("placement")), clock=clock)
    async with running(app) as client:

        async def rates_once_all_are_in() -> dict[str, Any] | None:
            body = (await client.get("/outcomes")).json()
            [program] = [p for p in body["programs"] if p["program_name"] == PROGRAM] or [None]
            if program is None or program["outcome"]["completed"] < 6:
                return None
            return program if program["outcome"]["employed"] >= 3 else None

        before_verification = await wait_for(rates_once_all_are_in)
        verified = await client.post(
            f"/employment-reports/{employer_report}/verification", json={"verified_by": "op-1"}
        )
        after = (await client.get("/outcomes")).json()
        metrics = (await client.get("/metrics")).text
        confirmed = await collect(
            stack.bootstrap_servers,
            [Topic.EMPLOYMENT_CONFIRMED.value],
            lambda r: r.key.decode().startswith(f"p-{run}-"),
            expected=5,
        )

    events = [json.loads(r.value) for r in confirmed]
    assert sorted((e["data"]["applicant_id"], e["data"]["source"]) for e in events) == sorted(
        [
            (a1, "employment_insurance"),
            (a2, "employment_insurance"),
            (a3, "employer"),  # after the operator's verification
            (b1, "employment_insurance"),  # once, though the citizen reported it first
            (b2, "employment_insurance"),
        ]
    )
    assert all(e["correlation_id"] == f"app-{e['data']['applicant_id']}" for e in events)
    assert before_verification["outcome"]["employed"] == 3  # a1, b1, b2
    assert verified.json()["confirmed_now"] is True

    [program] = [p for p in after["programs"] if p["program_name"] == PROGRAM]
    cohorts = {c["cohort_id"]: c["outcome"] for c in program["cohorts"]}
    assert cohorts[mapo] == {"completed": 4, "employed": 2, "awaiting": 0, "employment_rate": 0.5}
    assert cohorts[jongno] == {"completed": 2, "employed": 2, "awaiting": 0, "employment_rate": 1.0}
    assert program["outcome"]["completed"] == 6
    assert program["outcome"]["employment_rate"] == pytest.approx(4 / 6)
    campuses = {g["id"]: (g["name"], g["outcome"]["employed"]) for g in program["campuses"]}
    assert campuses == {"mapo": ("mapo 캠퍼스", 2), "jongno": ("jongno 캠퍼스", 2)}
    assert [(g["id"], g["outcome"]["completed"]) for g in program["terms"]] == [("2024-H2", 6)]
    assert after["window_months"] == 6
    assert after["as_of"] == "2026-01-12"

    assert metric(metrics, "ilteo_placement_employment_rate", PROGRAM, mapo) == 0.5
    assert metric(metrics, "ilteo_placement_employment_rate", PROGRAM, jongno) == 1.0
    by_campus = 'group="mapo",grouping="campus"'
    assert f'ilteo_placement_employment_rate_by_group{{{by_campus},program="{PROGRAM}"}} 0.5' in (
        metrics
    )
    assert metric(metrics, "ilteo_placement_completions", PROGRAM, mapo) == 4.0
    assert metric(metrics, "ilteo_placement_employed_within_6_months", PROGRAM, "") == 4.0
