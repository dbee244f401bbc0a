"""Cohorts and recruitment decisions made to order for the enrollment integration tests."""

import json
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from shared.clock import now_kst
from shared.topics import Topic

JUNGBU = {
    "id": "jungbu",
    "name": "중부기술교육원",
    "address": "서울 용산구 한남대로 136",
    "district": "용산구",
}
GLOBAL_COOKING = {"id": "global-cooking", "name": "글로벌조리", "field": "cooking"}


def cohort_body(
    tag: str,
    now: datetime,
    *,
    capacity: int,
    start: date | None = None,
    days: int = 60,
    call_open: bool = False,
    **changes: Any,
) -> dict[str, Any]:
    """A cohort starting in a month (or on `start`) whose call is `call-<tag>`, as of `now`
    (the service's clock)."""
    start = start or (now + timedelta(days=30)).date()
    window = (
        (now - timedelta(days=1), now + timedelta(days=5))
        if call_open
        else (now - timedelta(days=10), now - timedelta(days=3))
    )
    return {
        "id": f"cohort-{tag}",
        "program_id": "technical-training-institutes",
        "program_name": "서울시 기술교육원",
        "campus": JUNGBU,
        "course": GLOBAL_COOKING,
        "call": {
            "id": f"call-{tag}",
            "opens_at": window[0].isoformat(),
            "closes_at": window[1].isoformat(),
        },
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=days)).isoformat(),
        "sessions": 40,
        "capacity": capacity,
    } | changes


async def add_cohort(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    answer = await client.post("/cohorts", json=body)
    assert answer.status_code == 201, answer.text
    return str(body["id"])


def decided(
    call_id: str,
    application_id: str,
    applicant_id: str,
    *,
    decision: str,
    rank: int | None = None,
    position: int | None = None,
    event_id: str | None = None,
) -> tuple[str, str, bytes]:
    """(topic, key, bytes) of a recruitment decision, as recruitment publishes it."""
    topic = {"selected": Topic.APPLICATION_SELECTED, "waitlisted": Topic.APPLICATION_WAITLISTED}[
        decision
    ]
    envelope: dict[str, Any] = {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": topic.value,
        "schema_version": 1,
        "occurred_at": now_kst().isoformat(),
        "producer": "recruitment",
        "correlation_id": application_id,
        "causation_id": None,
        "data": {
            "application_id": application_id,
            "call_id": call_id,
            "applicant_id": applicant_id,
            "program_id": "technical-training-institutes",
            "call_title": "2025 중부기술교육원 글로벌조리과 정규과정 훈련생 모집",
            "decision": decision,
            "rank": rank,
            "score": None,
            "track": "general" if decision == "selected" else None,
            "waitlist_position": position,
            "reasons": [],
            "selection_run_id": "run-1",
            "decided_at": now_kst().isoformat(),
        },
    }
    return topic.value, application_id, json.dumps(envelope, ensure_ascii=False).encode()


def data_of(record: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(record.value)["data"]
    return decoded


def about(cohort_ids: set[str]) -> Callable[[Any], bool]:
    def match(record: Any) -> bool:
        try:
            return data_of(record).get("cohort_id") in cohort_ids
        except (ValueError, KeyError):
            return False

    return match
