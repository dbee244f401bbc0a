"""Wiring of the recruitment service."""

import logging
from pathlib import Path

import yaml
from fastapi import FastAPI

from shared.clock import now_kst
from shared.contracts.recruitment import (
    ApplicationDecided,
    ApplicationScreened,
    ApplicationSubmitted,
)
from shared.limits import SubmissionRateLimit
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from shared.topics import Topic

from .adapters.store import RecruitmentStore
from .domain import parse_catalog
from .entrypoints import events, http, privacy
from .use_cases import Clock, Ports, Publishers

log = logging.getLogger(__name__)
CATALOG_DIR = Path(__file__).parent / "catalog"


class RecruitmentSettings(ServiceSettings):
    http_port: int = 8001
    seed_catalog: bool = True  # SEED_CATALOG: insert the programs and calls of catalog/*.yaml
    # Intake reads calls from a copy of the catalog this many seconds old at most.
    call_refresh_seconds: float = 5.0


def create_app(settings: RecruitmentSettings | None = None, clock: Clock = now_kst) -> FastAPI:
    settings = settings or RecruitmentSettings()
    runtime = ServiceRuntime(
        "recruitment",
        settings,
        title="일터 recruitment",
        description="Programs, recruitment calls (모집 공고) and applications: rule-driven "
        "screening and fair, replayable selection.",
    )
    store = RecruitmentStore(runtime.db, call_refresh_seconds=settings.call_refresh_seconds)
    runtime.on_startup(store.create_indexes)
    if settings.seed_catalog:

        @runtime.on_startup
        async def seed_catalog() -> None:
            documents = [
                yaml.safe_load(p.read_text("utf-8")) for p in sorted(CATALOG_DIR.glob("*.yaml"))
            ]
            catalog = parse_catalog(documents)
            added = await store.seed(list(catalog.programs), list(catalog.calls))
            log.info("catalog seeded", extra={"added": added, "calls": len(catalog.calls)})

    decision = "An applicant's selection outcome, with rank, score, quota track and reasons."
    ports = Ports(
        store=store,
        publish=Publishers(
            submitted=runtime.publisher(
                Topic.APPLICATION_SUBMITTED,
                ApplicationSubmitted,
                "A citizen applied on the web (same event partners send).",
            ),
            screened=runtime.publisher(
                Topic.APPLICATION_SCREENED,
                ApplicationScreened,
                "Eligible or not, with every failed rule (code + Korean).",
            ),
            selected=runtime.publisher(Topic.APPLICATION_SELECTED, ApplicationDecided, decision),
            waitlisted=runtime.publisher(
                Topic.APPLICATION_WAITLISTED, ApplicationDecided, decision
            ),
            rejected=runtime.publisher(Topic.APPLICATION_REJECTED, ApplicationDecided, decision),
        ),
        clock=clock,
    )
    events.subscribe(runtime, ports)
    app = runtime.http_app()
    app.add_middleware(SubmissionRateLimit, method="POST", path="/applications")
    app.include_router(http.citizen_routes(ports))
    app.include_router(http.operator_routes(ports))
    app.include_router(privacy.citizen_routes(ports))
    app.include_router(privacy.operator_routes(ports))
    return app
