"""CPU cost of the recruitment domain: screening 10,000 applications, selecting among 10,000.

    uv run python benchmarks/recruitment_domain.py

Applications are synthetic and deterministic (a fixed seed), shaped like a Companion-jobs call:
mostly Seoul residents, some employed, some on unemployment benefit around the start date, a
mix of income categories, veterans. Times are `time.process_time` (CPU, not wall clock), the
median of several runs; building the input payloads is not timed.
"""

import gc
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

from services.recruitment.domain import (
    Call,
    Screening,
    SelectionMethod,
    screen_application,
    select_applicants,
)
from shared.contracts.recruitment import ApplicationSubmitted

APPLICANTS = 10_000
QUOTA = 3_000
RUNS = 5
SEED = 2025

CALL = Call.model_validate(
    {
        "id": "bench-companion-2025h2",
        "program_id": "companion-jobs",
        "program_kind": "public_job",
        "title": "2025년 하반기 서울 동행일자리 참여자 모집 (benchmark)",
        "status": "closed",
        "window": {
            "opens_at": "2025-05-07T09:00:00+09:00",
            "closes_at": "2025-05-16T18:00:00+09:00",
        },
        "start_date": "2025-07-01",
        "end_date": "2025-12-20",
        "quota": QUOTA,
        "waitlist_size": 1_000,
        "selection_method": "ranked",
        "eligibility": [
            {
                "kind": "age",
                "min": 18,
                "max": 64,
                "veteran_extension": {"extends_by": "service_period", "cap_months": 36},
            },
            {"kind": "residency", "sido": "서울특별시"},
            {"kind": "employment_status", "allowed": ["unemployed", "self_employed"]},
            {"kind": "unemployment_benefit", "not_receiving_on": "start_date"},
        ],
        "scoring": [
            {"kind": "income_category", "points": {"basic_livelihood": 10, "near_poor": 7}},
            {"kind": "household_head", "points": 5},
            {"kind": "national_merit", "points": 5},
            {"kind": "age_band", "min": 50, "points": 2},
        ],
        "priority_track": {
            "share": 0.3,
            "grounds": ["basic_livelihood", "near_poor", "national_merit"],
        },
    }
)


def synthetic_applications(count: int, seed: int) -> list[ApplicationSubmitted]:
    rng = random.Random(seed)
    opens = CALL.window.opens_at
    window_seconds = int((CALL.window.closes_at - opens).total_seconds())

    def applicant(n: int) -> dict[str, Any]:
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(70 * 365))
        benefit_end = date(2025, 7, 1) + timedelta(days=rng.randrange(-60, 60))
        veteran = rng.random() < 0.1
        return {
            "applicant_id": f"person-{n:05}",
            "name": "홍길동",
            "birth_date": birth.isoformat(),
            "phone": "010-1234-5678",
            "address": {
                "sido": "서울특별시" if rng.random() < 0.92 else "경기도",
                "sigungu": rng.choice(["금천구", "노원구", "강동구", "마포구", "관악구"]),
            },
            "nationality": "KR",
            "household": {"is_head": rng.random() < 0.5, "single_person": rng.random() < 0.3},
            "employment_status": rng.choices(
                ["unemployed", "employed", "self_employed", "student"], [80, 10, 7, 3]
            )[0],
            "unemployment_benefit": {
                "start": (benefit_end - timedelta(days=120)).isoformat(),
                "end": benefit_end.isoformat(),
            }
            if rng.random() < 0.2
            else None,
            "income_category": rng.choices(
                ["basic_livelihood", "near_poor", "general"], [15, 15, 70]
            )[0],
            "national_merit": rng.random() < 0.03,
            "veteran_discharged_on": "2005-06-30" if veteran else None,
            "consents": {"sms": True, "email": False},
        }

    return [
        ApplicationSubmitted.model_validate(
            {
                "application_id": f"app-{n:05}",
                "call_id": CALL.id,
                # whole seconds in a window of ten days: ties in submitted_at do happen
                "submitted_at": opens + timedelta(seconds=rng.randrange(window_seconds)),
                "channel": rng.choice(["web", "district_office", "partner_system"]),
                "applicant": applicant(n),
            }
        )
        for n in range(count)
    ]


def median_cpu_seconds(work: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.process_time()
        work()
        samples.append(time.process_time() - started)
    return statistics.median(samples)


def main() -> None:
    applications = synthetic_applications(APPLICANTS, SEED)
    screenings: list[Screening] = [screen_application(CALL, a) for a in applications]

    def screen_all() -> list[Screening]:
        return [screen_application(CALL, a) for a in applications]

    rows = [("screen 10k", median_cpu_seconds(screen_all))]
    for method in SelectionMethod:
        call = CALL.model_copy(update={"selection_method": method})
        seconds = median_cpu_seconds(partial(select_applicants, call, screenings, seed=SEED))
        rows.append((f"select 10k {method.value}", seconds))
    # The 10k payloads held in memory make Python's cyclic GC walk them over and over, which
    # is a good share of "screen 10k". A service screens applications as they arrive instead
    # of holding them all; freezing them out of the GC shows the domain's own cost.
    gc.collect()
    gc.freeze()
    rows.append(("screen 10k, inputs frozen", median_cpu_seconds(screen_all)))

    eligible = sum(s.eligible for s in screenings)
    result = select_applicants(CALL, screenings, seed=SEED)
    print(
        f"{APPLICANTS:,} applications, {eligible:,} eligible; quota {QUOTA:,}"
        f" ({CALL.priority_seats:,} priority seats), waitlist {CALL.waitlist_size:,};"
        f" ranked: {len(result.selected):,} selected, {len(result.waitlisted):,} waitlisted,"
        f" {len(result.rejected):,} rejected"
    )
    print(f"CPU time (time.process_time), median of {RUNS} runs")
    for label, seconds in rows:
        print(f"  {label:<28} {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
