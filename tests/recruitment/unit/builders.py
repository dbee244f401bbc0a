"""Small builders for calls, applications and screenings; each test names only what matters."""

from datetime import datetime, timedelta
from typing import Any

from services.recruitment.domain import Call, PriorityGround, Screening
from shared.clock import SEOUL
from shared.contracts.recruitment import ApplicationSubmitted, FailedRule

CALL_ID = "companion-2025h2-test"
SUBMITTED_AT = datetime(2025, 5, 12, 9, 30, tzinfo=SEOUL)


def make_call(**overrides: Any) -> Call:
    """A closed public-job call starting on 2025-07-01, with no rules unless given."""
    data: dict[str, Any] = {
        "id": CALL_ID,
        "program_id": "companion-jobs",
        "program_kind": "public_job",
        "title": "2025년 하반기 서울 동행일자리 참여자 모집",
        "status": "closed",
        "window": {
            "opens_at": "2025-05-07T09:00:00+09:00",
            "closes_at": "2025-05-16T18:00:00+09:00",
        },
        "start_date": "2025-07-01",
        "end_date": "2025-12-20",
        "quota": 10,
        "selection_method": "ranked",
    }
    return Call.model_validate(data | overrides)


def make_application(
    *,
    application_id: str = "app-1",
    call_id: str = CALL_ID,
    submitted_at: datetime = SUBMITTED_AT,
    **applicant: Any,
) -> ApplicationSubmitted:
    """An application by a 40-year-old unemployed Seoul resident, changed by `applicant`."""
    person: dict[str, Any] = {
        "applicant_id": f"person-{application_id}",
        "name": "홍길동",
        "birth_date": "1985-03-02",
        "phone": "010-1234-5678",
        "email": None,
        "address": {"sido": "서울특별시", "sigungu": "금천구"},
        "nationality": "KR",
        "student_visa": False,
        "household": {"is_head": False, "single_person": False},
        "employment_status": "unemployed",
        "unemployment_benefit": None,
        "income_category": "general",
        "national_merit": False,
        "veteran_discharged_on": None,
        "consents": {"sms": True, "email": False},
    }
    return ApplicationSubmitted.model_validate(
        {
            "application_id": application_id,
            "call_id": call_id,
            "submitted_at": submitted_at,
            "channel": "web",
            "applicant": person | applicant,
        }
    )


def make_screening(
    application_id: str,
    *,
    score: float = 0.0,
    minutes_after: int = 0,
    priority: bool = False,
    eligible: bool = True,
    call_id: str = CALL_ID,
    applicant_id: str | None = None,
) -> Screening:
    """A screening as selection sees it: `minutes_after` the first submission of the call."""
    return Screening(
        application_id=application_id,
        call_id=call_id,
        applicant_id=applicant_id or f"person-{application_id}",
        submitted_at=SUBMITTED_AT + timedelta(minutes=minutes_after),
        failed_rules=()
        if eligible
        else (FailedRule(code="residency.outside_sido", message="서울특별시 주민만"),),
        checked_rules=("application_window", "residency"),
        score=score if eligible else None,
        priority_grounds=(PriorityGround.BASIC_LIVELIHOOD,) if priority and eligible else (),
    )
