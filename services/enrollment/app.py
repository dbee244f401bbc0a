"""Wiring of the enrollment service."""

import logging
from pathlib import Path

import yaml
from fastapi import FastAPI

from shared.clock import now_kst
from shared.contracts.enrollment import (
    CohortFilled,
    EnrollmentCompleted,
    EnrollmentConfirmed,
    EnrollmentWithdrawn,
    WaitlistPromoted,
)
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from shared.topics import InternalTopic, Topic

from .adapters.metrics import EnrollmentMetrics
from .adapters.seat_log import SeatLog
from .adapters.store import EnrollmentStore
from .domain.catalog import parse_catalog
from .domain.commands import SeatCommand
from .entrypoints import events, http, loops, privacy
from .use_cases import Clock, Ports, Publishers

log = logging.getLogger(__name__)
CATALOG_DIR = Path(__file__).parent / "catalog"


class EnrollmentSettings(ServiceSettings):
    http_port: int = 8002
    seed_catalog: bool = True  # SEED_CATALOG: insert the cohorts of catalog/*.yaml
    # The catalog is read from a copy this many seconds old at most.
    cohort_refresh_seconds: float = 5.0
    # How often overdue offers are looked for (and expired by the cohort's writer).
    deadline_check_seconds: float = 60.0
    gauge_refresh_seconds: float = 30.0
    # Where completed citizens answer the satisfaction survey: <base>/<enrollment_id>.
    survey_base_url: str = "https://jobs.seoul.example/survey"


def load_catalog() -> list[dict[str, object]]:
    return [yaml.safe_load(p.read_text("utf-8")) for p in sorted(CATALOG_DIR.glob("*.yaml"))]


def create_app(settings: EnrollmentSettings | None = None, clock: Clock = now_kst) -> FastAPI:
    settings = settings or EnrollmentSettings()
    runtime = ServiceRuntime(
        "enrollment",
        settings,
        title="일터 enrollment",
        description="Cohorts (campus × course × term) and one catalog to find them; seat "
        "offers, the waitlist and its promotions, each cohort written by one writer; "
        "attendance, completion and the satisfaction survey.",
    )
    store = EnrollmentStore(runtime.db, cohort_refresh_seconds=settings.cohort_refresh_seconds)
    seats = SeatLog(runtime.db)
    runtime.on_startup(store.create_indexes)
    runtime.on_startup(seats.create_indexes)
    if settings.seed_catalog:

        @runtime.on_startup
        async def seed_catalog() -> None:
            cohorts = parse_catalog(load_catalog())
            added = await store.seed(cohorts)
            log.info("cohort catalog seeded", extra={"added": added, "cohorts": len(cohorts)})

    ports = Ports(
        store=store,
        seats=seats,
        publish=Publishers(
            commands=runtime.publisher(
                InternalTopic.SEAT_COMMANDS,
                SeatCommand,
                "Internal, key cohort_id: a change asked of a cohort's seats.",
            ),
            promoted=runtime.publisher(
                Topic.WAITLIST_PROMOTED,
                WaitlistPromoted,
                "A freed seat is offered to the next on the waitlist, with a deadline.",
            ),
            confirmed=runtime.publisher(
                Topic.ENROLLMENT_CONFIRMED,
                EnrollmentConfirmed,
                "The citizen accepted the offer: enrolled in the cohort.",
            ),
            withdrawn=runtime.publisher(
                Topic.ENROLLMENT_WITHDRAWN,
                EnrollmentWithdrawn,
                "A seat given up: an offer declined or expired, or an enrollment withdrawn.",
            ),
            completed=runtime.publisher(
                Topic.ENROLLMENT_COMPLETED,
                EnrollmentCompleted,
                "Completed at the program's attendance rate, with the survey link (and, after "
                "a taster, the regular course it leads to).",
            ),
            filled=runtime.publisher(
                Topic.COHORT_FILLED,
                CohortFilled,
                "Every seat of the cohort is confirmed (again only after a release).",
            ),
        ),
        metrics=EnrollmentMetrics(runtime.registry),
        clock=clock,
        survey_base_url=settings.survey_base_url,
    )
    events.subscribe(runtime, ports)
    runtime.background(loops.deadline_checks(ports, settings.deadline_check_seconds))
    runtime.background(loops.gauges(ports, settings.gauge_refresh_seconds))
    app = runtime.http_app()
    app.include_router(http.citizen_routes(ports))
    app.include_router(http.operator_routes(ports))
    app.include_router(privacy.citizen_routes(ports))
    return app
