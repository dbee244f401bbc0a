"""Entry points of the enrollment service: Kafka events and HTTP, both thin."""

from typing import Any

from fastapi import APIRouter

from shared.contracts.recruitment import ApplicationDecided
from shared.envelope import Envelope

from .domain.enrollment import pending_enrollment
from .store import EnrollmentStore


class EnrollmentHandlers:
    def __init__(self, store: EnrollmentStore) -> None:
        self.store = store

    async def application_selected(self, event: Envelope[ApplicationDecided]) -> None:
        await self.store.add_pending(pending_enrollment(event.data))


def http_routes(store: EnrollmentStore) -> APIRouter:
    router = APIRouter(tags=["enrollment"])

    @router.get("/applicants/{applicant_id}/enrollments")
    async def enrollments(applicant_id: str) -> dict[str, Any]:
        return {
            "applicant_id": applicant_id,
            "enrollments": await store.enrollments_of(applicant_id),
        }

    return router
