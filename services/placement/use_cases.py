"""What the placement service does, one function each: ports in, results out."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared.contracts.placement import EmploymentConfirmed, EmploymentReported
from shared.envelope import Envelope, derive_event_id
from shared.kafka import EventPublisher, Outgoing
from shared.topics import Topic

from .adapters.store import PlacementStore
from .domain.employment import Employment, confirm, confirms

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Ports:
    store: PlacementStore
    employment_confirmed: EventPublisher[EmploymentConfirmed]
    clock: Clock


async def take_employment_reports(
    ports: Ports, events: list[Envelope[EmploymentReported]]
) -> list[Employment]:
    """Keep every report; confirm the jobs that employers or employment insurance report.
    Returns the employments these reports confirmed."""
    await ports.store.record_reports([event.data for event in events])
    now = ports.clock()
    confirming = [event for event in events if confirms(event.data)]
    stored = await ports.store.confirm([confirm(event.data, now) for event in confirming])
    # Published by the report that confirmed it, with an id derived from the employment: a
    # redelivery publishes the same event again (consumers drop it), a second source
    # reporting the same job publishes nothing.
    confirmed = [
        (event, employment)
        for event, employment in zip(confirming, stored, strict=True)
        if employment.confirmed_by == event.data.report_id
    ]
    await ports.employment_confirmed.publish(
        *(
            Outgoing.caused_by(
                event,
                employment.as_event(),
                key=employment.applicant_id,
                event_id=derive_event_id(employment.employment_id, Topic.EMPLOYMENT_CONFIRMED),
            )
            for event, employment in confirmed
        )
    )
    return [employment for _, employment in confirmed]


async def employments_of(ports: Ports, applicant_id: str) -> list[Employment]:
    return await ports.store.employments_of(applicant_id)


async def reports_of(ports: Ports, applicant_id: str) -> list[EmploymentReported]:
    return await ports.store.reports_of(applicant_id)
