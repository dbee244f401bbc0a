"""Wiring of the enrollment service."""

from fastapi import FastAPI

from shared.service import ServiceRuntime
from shared.settings import ServiceSettings

from .adapters.store import EnrollmentStore
from .entrypoints import events, http
from .use_cases import Ports


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
    ports = Ports(store=store)
    events.subscribe(runtime, ports)
    app = runtime.http_app()
    app.include_router(http.routes(ports))
    return app
