"""Kafka subscribers of the recruitment service: they translate, the use cases decide."""

from shared.contracts.recruitment import ApplicationSubmitted
from shared.envelope import Envelope
from shared.service import ServiceRuntime
from shared.topics import Topic

from .. import use_cases
from ..use_cases import Ports


def subscribe(runtime: ServiceRuntime, ports: Ports) -> None:
    @runtime.subscribe(
        Topic.APPLICATION_SUBMITTED,
        ApplicationSubmitted,
        "Applications from partner systems and from the web API.",
    )
    async def application_submitted(events: list[Envelope[ApplicationSubmitted]]) -> None:
        await use_cases.take_applications(ports, events)
