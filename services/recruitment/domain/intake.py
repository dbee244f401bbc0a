"""Intake (접수): whether an application may be screened at all.

Screening judges the applicant; intake judges the application: the call must exist and be
open, and a person applies to a call once. An application refused here is still answered with
a screening result that names the reason, so a partner system's citizen hears it too.
"""

import secrets
from datetime import datetime

from shared.contracts.recruitment import ApplicationScreened, ApplicationSubmitted, FailedRule

from .call import Call, CallStatus
from .screening import Screening

CALL_UNKNOWN = "call.unknown"
CALL_NOT_OPEN = "call.not_open"
CALL_CLOSED = "call.closed"
SELECTION_STARTED = "call.selection_started"
DUPLICATE = "application.duplicate"


# Letters only, without I and O (read as 1 and 0 over the phone). A digit after the day's
# hyphen could spell a resident registration number (six digits, a hyphen, seven digits),
# which every consumer refuses: the application would go to the dead-letter topic.
_RECEIPT_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_receipt_number(now: datetime) -> str:
    """An application id for a web application: short enough that the receipt SMS stays one
    SMS (90 bytes), readable over the phone, and unguessable (24^8, 36 random bits per day)."""
    letters = "".join(secrets.choice(_RECEIPT_LETTERS) for _ in range(8))
    return f"W{now:%y%m%d}-{letters}"


def call_refusal(call: Call | None, call_id: str) -> FailedRule | None:
    """Why no application to this call can be taken now, if it cannot."""
    if call is None:
        return FailedRule(
            code=CALL_UNKNOWN,
            message=(
                f"신청하신 모집 공고({call_id})를 찾을 수 없습니다. 공고 번호를 확인해 주십시오."
            ),
        )
    if call.status is CallStatus.DRAFT:
        return FailedRule(
            code=CALL_NOT_OPEN,
            message=f"'{call.title}'은(는) 아직 접수를 시작하지 않았습니다.",
        )
    # A closed call still takes what was submitted inside its window and is only now arriving
    # (a partner's queue, a district office's batch): screening judges the submission time.
    # Once selection has run, nothing more can be considered.
    if call.status in (CallStatus.SELECTED, CallStatus.PUBLISHED):
        return FailedRule(code=CALL_CLOSED, message=f"'{call.title}'은(는) 접수가 마감되었습니다.")
    return None


def selection_started_refusal(call: Call) -> FailedRule:
    """Selection has begun reading the call's applications: one arriving now would get no
    decision, so it is refused, with the reason, rather than left hanging."""
    return FailedRule(
        code=SELECTION_STARTED,
        message=f"'{call.title}'은(는) 선발 심사가 시작되어 더 이상 신청을 받을 수 없습니다.",
    )


def duplicate_refusal(first_application_id: str) -> FailedRule:
    return FailedRule(
        code=DUPLICATE,
        message=(
            f"같은 공고에 이미 신청하셨습니다(신청번호 {first_application_id}). "
            "한 공고에는 한 번만 신청하실 수 있습니다."
        ),
    )


def refused(application: ApplicationSubmitted, reason: FailedRule) -> Screening:
    """A screening that never looked at the applicant: only the intake reason is known."""
    return Screening(
        application_id=application.application_id,
        call_id=application.call_id,
        applicant_id=application.applicant.applicant_id,
        submitted_at=application.submitted_at,
        failed_rules=(reason,),
        checked_rules=(reason.code.split(".")[0],),
    )


def screened_event(
    screening: Screening, call: Call | None, screened_at: datetime
) -> ApplicationScreened:
    if call is not None:
        return screening.as_event(call, screened_at)
    # Unknown call: no program or title to name; the call id is what the citizen typed.
    return ApplicationScreened(
        application_id=screening.application_id,
        call_id=screening.call_id,
        applicant_id=screening.applicant_id,
        program_id="",
        call_title=f"모집 공고 {screening.call_id}",
        eligible=False,
        failed_rules=list(screening.failed_rules),
        checked_rules=list(screening.checked_rules),
        screened_at=screened_at,
    )
