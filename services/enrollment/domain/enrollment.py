"""An applicant selected by a call that fills no cohort (a public job: its workplace is
assigned elsewhere) is kept as a pending enrollment of the call's program. Selections for calls
that fill a cohort become seat offers instead (see `seats`).
"""

from dataclasses import dataclass
from datetime import datetime

from shared.contracts.recruitment import ApplicationDecided


@dataclass(frozen=True)
class PendingEnrollment:
    enrollment_id: str
    application_id: str
    applicant_id: str
    call_id: str
    program_id: str
    track: str | None
    rank: int | None
    selected_at: datetime


def pending_enrollment(decision: ApplicationDecided) -> PendingEnrollment:
    # One application is enrolled at most once: the enrollment id is the application id.
    return PendingEnrollment(
        enrollment_id=decision.application_id,
        application_id=decision.application_id,
        applicant_id=decision.applicant_id,
        call_id=decision.call_id,
        program_id=decision.program_id,
        track=decision.track,
        rank=decision.rank,
        selected_at=decision.decided_at,
    )
