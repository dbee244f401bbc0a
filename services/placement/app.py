"""Wiring of the placement service."""

from fastapi import FastAPI

from shared.contracts.placement import EmploymentConfirmed, EmploymentReported
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from shared.topics import Topic

from .handlers import PlacementHandlers, http_routes
from .store import PlacementStore


class PlacementSettings(ServiceSettings):
    http_port: int = 8003


def create_app(settings: PlacementSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        "placement",
        settings or PlacementSettings(),
        title="일터 placement",
        description="Employment outcomes: reports from employers, employment insurance and "
        "citizens become confirmed employments.",
    )
    store = PlacementStore(runtime.db)
    runtime.on_startup(store.create_indexes)
    handlers = PlacementHandlers(
        store,
        runtime.publisher(
            Topic.EMPLOYMENT_CONFIRMED,
            EmploymentConfirmed,
            "An employment confirmed by the employer or employment insurance.",
        ),
    )
    runtime.subscribe(
        Topic.EMPLOYMENT_REPORTED,
        EmploymentReported,
        "A partner system reports that a citizen started a job.",
    )(handlers.employment_reported)
    app = runtime.http_app()
    app.include_router(http_routes(store))
    return app
