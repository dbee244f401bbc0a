"""Kafka subscribers of the placement service: they translate, the use cases decide."""

from shared.contracts.placement import EmploymentReported
from shared.envelope import Envelope
from shared.service import ServiceRuntime
from shared.topics import Topic

from .. import use_cases
from ..use_cases import Ports


def subscribe(runtime: ServiceRuntime, ports: Ports) -> None:
    @runtime.subscribe(
        Topic.EMPLOYMENT_REPORTED,
        EmploymentReported,
        "A partner system reports that a citizen started a job.",
    )
    async def employment_reported(events: list[Envelope[EmploymentReported]]) -> None:
        await use_cases.take_employment_reports(ports, events)
