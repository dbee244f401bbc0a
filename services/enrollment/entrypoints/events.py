"""Kafka subscribers of the enrollment service: they translate, the use cases decide."""

from shared.contracts.recruitment import ApplicationDecided
from shared.envelope import Envelope
from shared.service import ServiceRuntime
from shared.topics import Topic

from .. import use_cases
from ..use_cases import Ports


def subscribe(runtime: ServiceRuntime, ports: Ports) -> None:
    @runtime.subscribe(
        Topic.APPLICATION_SELECTED, ApplicationDecided, "An applicant was selected by recruitment."
    )
    async def application_selected(events: list[Envelope[ApplicationDecided]]) -> None:
        await use_cases.take_selections(ports, events)
