"""Wiring of the placement service."""

import asyncio
import logging
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI

from shared.clock import now_kst
from shared.contracts.placement import EmploymentConfirmed, PublicJobAssigned, StudyPathwayOpened
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from shared.topics import InternalTopic, Topic

from . import use_cases
from .adapters.metrics import OutcomeGauges
from .adapters.store import PlacementStore
from .domain.assignment import AssignmentRequested
from .domain.matching import CourseSkills
from .domain.projects import ProjectCatalog, parse_projects
from .entrypoints import events, http, privacy
from .use_cases import Clock, Ports, Publishers

log = logging.getLogger(__name__)
CATALOG_DIR = Path(__file__).parent / "catalog"


class PlacementSettings(ServiceSettings):
    http_port: int = 8003
    # How often the outcome gauges are computed again from the store.
    outcome_refresh_seconds: float = 60.0


def load_projects(directory: Path = CATALOG_DIR / "projects") -> ProjectCatalog:
    return parse_projects(
        yaml.safe_load(path.read_text("utf-8")) for path in sorted(directory.glob("*.yaml"))
    )


def load_course_skills(path: Path = CATALOG_DIR / "course-skills.yaml") -> CourseSkills:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return {
        program: {course: tuple(tags) for course, tags in courses.items()}
        for program, courses in loaded.items()
    }


def create_app(
    settings: PlacementSettings | None = None,
    clock: Clock = now_kst,
    projects: ProjectCatalog | None = None,
) -> FastAPI:
    settings = settings or PlacementSettings()
    runtime = ServiceRuntime(
        "placement",
        settings,
        title="일터 placement",
        description="After selection and after completion: public-job positions with their "
        "pay, employment reports confirmed by employment insurance or an operator, outcome "
        "rates, and job matching for graduates.",
    )
    store = PlacementStore(runtime.db)
    runtime.on_startup(store.create_indexes)
    ports = Ports(
        store=store,
        publish=Publishers(
            employment_confirmed=runtime.publisher(
                Topic.EMPLOYMENT_CONFIRMED,
                EmploymentConfirmed,
                "An employment confirmed by employment insurance or by an operator's "
                "verification of an employer's or a citizen's report; once per job.",
            ),
            study_pathway_opened=runtime.publisher(
                InternalTopic.STUDY_PATHWAY_OPENED,
                StudyPathwayOpened,
                "Employment first, study later: a confirmed hire at a partner employer makes "
                "the person eligible for the linked course (for enrollment to offer).",
            ),
            assignment_requested=runtime.publisher(
                InternalTopic.ASSIGNMENT_COMMANDS,
                AssignmentRequested,
                "Internal, keyed by call_id: a selected applicant of a public-job call.",
            ),
            public_job_assigned=runtime.publisher(
                InternalTopic.PUBLIC_JOB_ASSIGNED,
                PublicJobAssigned,
                "A selected applicant's public-job position: workplace, term, hours, pay.",
            ),
        ),
        projects=projects if projects is not None else load_projects(),
        course_skills=load_course_skills(),
        gauges=OutcomeGauges(runtime.registry),
        clock=clock,
    )
    events.subscribe(runtime, ports)

    async def refresh_outcome_gauges() -> None:
        while True:
            try:
                await use_cases.outcome_rates(ports)
            except Exception:
                log.exception("outcome gauges could not be refreshed")
            await asyncio.sleep(settings.outcome_refresh_seconds)

    runtime.background(refresh_outcome_gauges)
    app = runtime.http_app()
    app.include_router(http.routes(ports))
    app.include_router(privacy.citizen_routes(ports))
    return app
