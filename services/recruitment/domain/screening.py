"""Screening (자격 심사): the one engine that judges an application against its call's rules.

Every rule is evaluated, not just up to the first failure, so a rejected citizen learns all that
stands in the way at once. An eligible application is scored and told which priority grounds it
meets; an ineligible one is not scored, since it will not be ranked.
"""

from dataclasses import dataclass
from datetime import datetime

from services.recruitment.domain.call import Call, PriorityGround
from services.recruitment.domain.eligibility import SupportingFacts
from services.recruitment.domain.scoring import AwardedBonus, award_bonuses
from shared.clock import SEOUL
from shared.contracts.recruitment import ApplicationScreened, ApplicationSubmitted, FailedRule

WINDOW_RULE = "application_window"  # checked on every call, before its own rules
NO_FACTS = SupportingFacts()


@dataclass(frozen=True, slots=True)
class Screening:
    """The verdict on one application: what selection needs, and what explains it.

    A plain dataclass, cheap enough to build 10,000 of in a burst; the service stores and
    reloads it with `pydantic.TypeAdapter(Screening)`.
    """

    application_id: str
    call_id: str
    applicant_id: str
    submitted_at: datetime
    failed_rules: tuple[FailedRule, ...] = ()
    checked_rules: tuple[str, ...] = ()
    score: float | None = None
    bonuses: tuple[AwardedBonus, ...] = ()
    priority_grounds: tuple[PriorityGround, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.failed_rules

    def as_event(self, call: Call, screened_at: datetime) -> ApplicationScreened:
        return ApplicationScreened(
            application_id=self.application_id,
            call_id=self.call_id,
            applicant_id=self.applicant_id,
            program_id=call.program_id,
            call_title=call.title,
            eligible=self.eligible,
            failed_rules=list(self.failed_rules),
            checked_rules=list(self.checked_rules),
            score=self.score,
            screened_at=screened_at,
        )


class WrongCall(ValueError):
    """An application was handed to a call it was not made to: a bug in the caller."""


def screen_application(
    call: Call, application: ApplicationSubmitted, facts: SupportingFacts | None = None
) -> Screening:
    if application.call_id != call.id:
        raise WrongCall(f"application {application.application_id} is for {application.call_id}")
    applicant = application.applicant
    facts = facts or NO_FACTS
    dates = call.key_dates
    checked = [WINDOW_RULE]
    failed = [late] if (late := _window_failure(call, application)) else []
    for rule in call.eligibility:
        checked.append(rule.kind)
        if failure := rule.check(applicant, dates, facts):
            failed.append(failure)
    bonuses = () if failed else award_bonuses(call.scoring, applicant, dates)
    track = call.priority_track
    return Screening(
        application_id=application.application_id,
        call_id=call.id,
        applicant_id=applicant.applicant_id,
        submitted_at=application.submitted_at,
        failed_rules=tuple(failed),
        checked_rules=tuple(checked),
        score=None if failed else float(sum(bonus.points for bonus in bonuses)),
        bonuses=bonuses,
        priority_grounds=track.grounds_met(applicant) if track and not failed else (),
    )


def _window_failure(call: Call, application: ApplicationSubmitted) -> FailedRule | None:
    submitted_at = application.submitted_at
    if call.took_submission_at(submitted_at):
        return None
    window = call.window
    when = f"{window.opens_at:%Y-%m-%d %H:%M} ~ {window.closes_at:%Y-%m-%d %H:%M}"
    if submitted_at < window.opens_at:
        return FailedRule(
            code=f"{WINDOW_RULE}.not_yet_open",
            message=f"모집 기간({when}) 전에 접수된 신청은 받을 수 없습니다.",
        )
    if submitted_at <= window.closes_at and call.closed_at is not None:
        return FailedRule(
            code=f"{WINDOW_RULE}.closed",
            message=f"모집이 {call.closed_at.astimezone(SEOUL):%Y-%m-%d %H:%M}에 조기 마감되어 "
            "그 뒤에 접수된 신청은 받을 수 없습니다.",
        )
    return FailedRule(
        code=f"{WINDOW_RULE}.closed",
        message=f"모집 기간({when})이 지난 뒤 접수된 신청은 받을 수 없습니다.",
    )
