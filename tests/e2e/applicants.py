"""Test applicants and calls, made to order."""

import json
import uuid
from datetime import timedelta
from typing import Any

from shared.clock import now_kst


def applicant(**overrides: Any) -> dict[str, Any]:
    suffix = uuid.uuid4().int % 10**8
    return {
        "applicant_id": f"p-{uuid.uuid4().hex[:12]}",
        "name": "홍길동",
        "birth_date": "1985-03-02",
        # A number of its own per applicant, so the sinks' records tell tests apart.
        "phone": f"010-{suffix // 10**4:04d}-{suffix % 10**4:04d}",
        "email": f"citizen{suffix}@example.com",
        "address": {"sido": "서울특별시", "sigungu": "금천구"},
        "nationality": "KR",
        "student_visa": False,
        "household": {"is_head": True, "single_person": True},
        "employment_status": "unemployed",
        "unemployment_benefit": None,
        "income_category": "general",
        "national_merit": False,
        "veteran_discharged_on": None,
        "consents": {"sms": True, "email": True},
        **overrides,
    }


def open_call(call_id: str, *, quota: int = 10, method: str = "ranked") -> dict[str, Any]:
    """A Companion-jobs style call whose window is open now."""
    now = now_kst()
    return {
        "id": call_id,
        "program_id": "companion-jobs",
        "program_kind": "public_job",
        "title": "2025년 하반기 서울 동행일자리(디지털) 참여자 모집",
        "window": {
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
        },
        "start_date": (now + timedelta(days=30)).date().isoformat(),
        "quota": quota,
        "selection_method": method,
        "eligibility": [
            {"kind": "age", "min": 18, "as_of": "start_date"},
            {"kind": "residency", "sido": "서울특별시"},
            {"kind": "employment_status", "allowed": ["unemployed"]},
            {"kind": "unemployment_benefit", "not_receiving_on": "start_date"},
        ],
        "scoring": [
            {"kind": "income_category", "points": {"basic_livelihood": 10, "near_poor": 7}},
            {"kind": "household_head", "points": 5, "single_person_counts": True},
        ],
        "priority_track": {"share": "0.3", "grounds": ["basic_livelihood", "near_poor"]},
    }


def submitted_event(
    call_id: str,
    person: dict[str, Any],
    *,
    application_id: str | None = None,
    event_id: str | None = None,
) -> tuple[str, bytes]:
    application_id = application_id or f"a-{uuid.uuid4().hex[:12]}"
    envelope = {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": "recruitment.application.submitted",
        "schema_version": 1,
        "occurred_at": now_kst().isoformat(),
        "producer": "district_office",
        "correlation_id": application_id,
        "causation_id": None,
        "data": {
            "application_id": application_id,
            "call_id": call_id,
            "submitted_at": now_kst().isoformat(),
            "channel": "district_office",
            "applicant": person,
            "preferences": {"campus_id": None, "course_id": None},
        },
    }
    return application_id, json.dumps(envelope, ensure_ascii=False).encode()
