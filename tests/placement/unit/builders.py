"""Small builders for public-job calls and assignment requests; each test names what matters."""

from datetime import datetime
from typing import Any

from services.placement.domain.assignment import AssignmentRequested
from services.placement.domain.projects import PublicJobCall
from shared.clock import SEOUL

CALL_ID = "companion-2025h2-test"
SELECTED_AT = datetime(2025, 5, 30, 10, 0, tzinfo=SEOUL)


def project(
    project_id: str, positions: int, district: str = "금천구", **extra: Any
) -> dict[str, Any]:
    return {
        "id": project_id,
        "name": "빗물받이 관리자",
        "workplace": f"{district}청",
        "workplace_address": f"서울 {district}",
        "district": district,
        "positions": positions,
        **extra,
    }


def make_call(*projects: dict[str, Any], call_id: str = CALL_ID, **overrides: Any) -> PublicJobCall:
    data: dict[str, Any] = {
        "call_id": call_id,
        "program_id": "companion-jobs",
        "program_name": "서울 동행일자리",
        "category": "사회안전",
        "term": {"start": "2025-07-01", "end": "2025-12-20"},
        "pay": {"hourly_wage_krw": 10_030, "hours_per_day": 6, "days_per_week": 5},
        "projects": list(projects) or [project("drain-geumcheon", 3)],
    }
    return PublicJobCall.model_validate(data | overrides)


def request(
    application_id: str,
    *,
    rank: int | None = None,
    project: str | None = None,
    district: str | None = None,
    home: str | None = None,
    call_id: str = CALL_ID,
) -> AssignmentRequested:
    return AssignmentRequested(
        application_id=application_id,
        applicant_id=f"p-{application_id}",
        call_id=call_id,
        rank=rank,
        preferred_project=project,
        preferred_district=district,
        home_district=home,
        selected_at=SELECTED_AT,
    )
