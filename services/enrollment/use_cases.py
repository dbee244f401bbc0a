"""What the enrollment service does, one function each: ports in, results out."""

from dataclasses import dataclass

from shared.contracts.recruitment import ApplicationDecided
from shared.envelope import Envelope

from .adapters.store import EnrollmentStore
from .domain.enrollment import PendingEnrollment, pending_enrollment


@dataclass(frozen=True)
class Ports:
    store: EnrollmentStore


async def take_selections(
    ports: Ports, events: list[Envelope[ApplicationDecided]]
) -> list[PendingEnrollment]:
    """Every selected applicant becomes a pending enrollment of the call's program, once."""
    pending = [pending_enrollment(event.data) for event in events]
    await ports.store.add_pending(pending)
    return pending


async def enrollments_of(ports: Ports, applicant_id: str) -> list[PendingEnrollment]:
    return await ports.store.enrollments_of(applicant_id)
