"""Kafka subscribers of the notify service: they translate, the use cases decide."""

from collections.abc import Callable
from typing import TypeVar

from shared.contracts.common import ContractModel
from shared.contracts.recruitment import ApplicationSubmitted
from shared.envelope import Envelope
from shared.service import ServiceRuntime
from shared.topics import Topic

from .. import use_cases
from ..domain.routing import ROUTES, Route
from ..use_cases import Ports

PayloadT = TypeVar("PayloadT", bound=ContractModel)


def subscribe(runtime: ServiceRuntime, ports: Ports, on_due: Callable[[], None]) -> None:
    """Every routed topic; `on_due` is called when a batch planned something due at once."""

    @runtime.subscribe(
        Topic.APPLICATION_SUBMITTED,
        ApplicationSubmitted,
        "Applications: the citizen's contact and consents, and a receipt.",
    )
    async def application_submitted(events: list[Envelope[ApplicationSubmitted]]) -> None:
        if (await use_cases.take_applications(ports, events)).due_now:
            on_due()

    for route in ROUTES.values():
        if route.event_type != Topic.APPLICATION_SUBMITTED:
            _subscribe_route(runtime, ports, route, on_due)


def _subscribe_route(
    runtime: ServiceRuntime, ports: Ports, route: Route[PayloadT], on_due: Callable[[], None]
) -> None:
    async def citizen_events(events: list[Envelope[PayloadT]]) -> None:
        if (await use_cases.take_citizen_events(ports, route, events)).due_now:
            on_due()

    citizen_events.__name__ = route.event_type.replace(".", "_")
    runtime.subscribe(
        route.event_type,
        route.payload,
        f"Told to the citizen with the '{route.template}' template.",
    )(citizen_events)
