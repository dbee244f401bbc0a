"""Wiring of the placement service."""

from fastapi import FastAPI

from shared.clock import now_kst
from shared.contracts.placement import EmploymentConfirmed
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from shared.topics import Topic

from .adapters.store import PlacementStore
from .entrypoints import events, http
from .use_cases import Clock, Ports


class PlacementSettings(ServiceSettings):
    http_port: int = 8003


def create_app(settings: PlacementSettings | None = None, clock: Clock = now_kst) -> FastAPI:
    runtime = ServiceRuntime(
        "placement",
        settings or PlacementSettings(),
        title="일터 placement",
        description="Employment outcomes: reports from employers, employment insurance and "
        "citizens become confirmed employments.",
    )
    store = PlacementStore(runtime.db)
    runtime.on_startup(store.create_indexes)
    ports = Ports(
        store=store,
        employment_confirmed=runtime.publisher(
            Topic.EMPLOYMENT_CONFIRMED,
            EmploymentConfirmed,
            "An employment confirmed by the employer or employment insurance.",
        ),
        clock=clock,
    )
    events.subscribe(runtime, ports)
    app = runtime.http_app()
    app.include_router(http.routes(ports))
    return app
