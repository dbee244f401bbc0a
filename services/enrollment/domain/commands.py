"""Seat commands: everything that changes a cohort's seats, waitlist or offers.

They travel on the internal topic `enrollment.internal.seat-commands`, keyed by cohort id, so
that one consumer, the cohort's writer, applies them in order (docs/decisions/0004). Each is
idempotent: applied again, it changes nothing.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfferSeat(_Command):
    """recruitment selected the applicant: offer a seat, or queue them if none is free."""

    kind: Literal["offer"] = "offer"
    application_id: str = Field(min_length=1, max_length=128)
    applicant_id: str = Field(min_length=1, max_length=128)
    rank: int | None = Field(default=None, ge=1)


class JoinWaitlist(_Command):
    """recruitment waitlisted the applicant at `position` (1-based) of the call."""

    kind: Literal["waitlist"] = "waitlist"
    application_id: str = Field(min_length=1, max_length=128)
    applicant_id: str = Field(min_length=1, max_length=128)
    position: int = Field(ge=1)


class AcceptOffer(_Command):
    kind: Literal["accept"] = "accept"
    application_id: str = Field(min_length=1, max_length=128)
    offer_id: str = Field(min_length=1, max_length=64)


class DeclineOffer(_Command):
    kind: Literal["decline"] = "decline"
    application_id: str = Field(min_length=1, max_length=128)
    offer_id: str = Field(min_length=1, max_length=64)


class Withdraw(_Command):
    """The citizen (or an operator for them) gives up a seat, an offer or a waitlist place."""

    kind: Literal["withdraw"] = "withdraw"
    application_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=200)


class CheckDeadlines(_Command):
    """Offers whose deadline is before the command's time expire."""

    kind: Literal["check_deadlines"] = "check_deadlines"


class Complete(_Command):
    """The course is over: every confirmed enrollment completes or drops out by attendance.
    `attended` holds the sessions attended per enrollment, as recorded when it was asked."""

    kind: Literal["complete"] = "complete"
    attended: dict[str, int]


Command = Annotated[
    OfferSeat | JoinWaitlist | AcceptOffer | DeclineOffer | Withdraw | CheckDeadlines | Complete,
    Field(discriminator="kind"),
]


class SeatCommand(_Command):
    """The payload on the internal topic (key: `cohort_id`). `at` is when it was asked: the
    writer judges deadlines by it."""

    cohort_id: str = Field(min_length=1, max_length=128)
    at: AwareDatetime
    command: Command
