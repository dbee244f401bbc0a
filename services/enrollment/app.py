"""Wiring of the enrollment service."""

from fastapi import FastAPI

from shared.contracts.recruitment import ApplicationDecided
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from shared.topics import Topic

from .handlers import EnrollmentHandlers, http_routes
from .store import EnrollmentStore


class EnrollmentSettings(ServiceSettings):
    http_port: int = 8002


def create_app(settings: EnrollmentSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        "enrollment",
        settings or EnrollmentSettings(),
        title="일터 enrollment",
        description="Cohorts and enrollments. Today: selected applicants become pending "
        "enrollments; cohort seats, offers and the waitlist follow.",
    )
    store = EnrollmentStore(runtime.db)
    runtime.on_startup(store.create_indexes)
    handlers = EnrollmentHandlers(store)
    runtime.subscribe(
        Topic.APPLICATION_SELECTED, ApplicationDecided, "An applicant was selected by recruitment."
    )(handlers.application_selected)
    app = runtime.http_app()
    app.include_router(http_routes(store))
    return app
