"""Entry points of the placement service: Kafka events and HTTP, both thin."""

from typing import Any

from fastapi import APIRouter

from shared.clock import now_kst
from shared.contracts.placement import EmploymentConfirmed, EmploymentReported
from shared.envelope import Envelope, derive_event_id, new_envelope
from shared.kafka import EventPublisher
from shared.topics import Topic

from .domain.employment import assess_report
from .store import PlacementStore

PRODUCER = "placement"


class PlacementHandlers:
    def __init__(self, store: PlacementStore, employment_confirmed: EventPublisher) -> None:
        self.store = store
        self.employment_confirmed = employment_confirmed

    async def employment_reported(self, event: Envelope[EmploymentReported]) -> None:
        report = event.data
        assessment = assess_report(report)
        await self.store.record_report(report, assessment.employment_id)
        if not assessment.confirms:
            return
        confirmed_by = await self.store.confirm_employment(
            assessment.employment_id, report, now_kst()
        )
        # Published by the report that confirmed it, with an id derived from the employment:
        # a redelivery publishes the same event again (consumers drop it), a second source
        # reporting the same job publishes nothing.
        if confirmed_by != report.report_id:
            return
        confirmed = EmploymentConfirmed(
            report_id=report.report_id,
            applicant_id=report.applicant_id,
            employer_name=report.employer.name,
            job_title=report.job_title,
            employment_type=report.employment_type,
            start_date=report.start_date,
            source=report.source,
            confirmed_at=now_kst(),
        )
        await self.employment_confirmed.publish(
            new_envelope(
                confirmed,
                event_type=Topic.EMPLOYMENT_CONFIRMED,
                producer=PRODUCER,
                correlation_id=event.correlation_id,
                causation_id=event.event_id,
                event_id=derive_event_id(assessment.employment_id, Topic.EMPLOYMENT_CONFIRMED),
            ),
            key=report.applicant_id,
        )


def http_routes(store: PlacementStore) -> APIRouter:
    router = APIRouter(tags=["placement"])

    @router.get("/applicants/{applicant_id}/employments")
    async def employments(applicant_id: str) -> dict[str, Any]:
        """Confirmed employments of a citizen, and every report received about them."""
        return {
            "applicant_id": applicant_id,
            "employments": await store.employments_of(applicant_id),
            "reports": await store.reports_of(applicant_id),
        }

    return router
