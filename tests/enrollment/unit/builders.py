"""Cohorts and seat commands made to order for the enrollment unit tests."""

from datetime import date, datetime, timedelta
from typing import Any

from services.enrollment.domain.cohort import Cohort
from services.enrollment.domain.commands import (
    AcceptOffer,
    CheckDeadlines,
    Command,
    Complete,
    DeclineOffer,
    JoinWaitlist,
    OfferSeat,
    Withdraw,
)
from services.enrollment.domain.seats import (
    CohortSeats,
    Fact,
    FactKind,
    Instruction,
    decide,
    offer_id_of,
)
from shared.clock import SEOUL

START = date(2025, 9, 1)
BEFORE_START = datetime(2025, 8, 1, 10, 0, tzinfo=SEOUL)


def make_cohort(**overrides: Any) -> Cohort:
    data: dict[str, Any] = {
        "id": "test-cohort",
        "program_id": "technical-training-institutes",
        "program_name": "서울시 기술교육원",
        "campus": {
            "id": "jungbu",
            "name": "중부기술교육원",
            "address": "서울 용산구 한남대로 136",
            "district": "용산구",
        },
        "course": {"id": "global-cooking", "name": "글로벌조리", "field": "cooking"},
        "call": {
            "id": "call-1",
            "opens_at": "2025-07-01T09:00:00+09:00",
            "closes_at": "2025-07-15T18:00:00+09:00",
        },
        "start_date": START.isoformat(),
        "end_date": (START + timedelta(days=90)).isoformat(),
        "sessions": 60,
        "capacity": 3,
        "offer_hours": 72,
        "late_entry_days": 7,
    }
    return Cohort.model_validate(data | overrides)


class Desk:
    """A cohort's seats driven command by command, as its writer would, keeping every fact."""

    def __init__(self, cohort: Cohort | None = None, at: datetime = BEFORE_START) -> None:
        self.cohort = cohort or make_cohort()
        self.state = CohortSeats()
        self.facts: list[Fact] = []
        self.at = at
        self._n = 0

    def run(self, *commands: Command, at: datetime | None = None) -> list[Fact]:
        instructions = []
        for command in commands:
            self._n += 1
            instructions.append(
                Instruction(f"cmd-{self._n}", f"corr-{self._n}", at or self.at, command)
            )
        self.state, facts = decide(self.cohort, self.state, instructions)
        self.facts += facts
        return facts

    def select(self, *ids: str) -> list[Fact]:
        return self.run(
            *(
                OfferSeat(application_id=i, applicant_id=f"p-{i}", rank=n)
                for n, i in enumerate(ids, 1)
            )
        )

    def waitlist(self, *positions: int) -> list[Fact]:
        return self.run(
            *(
                JoinWaitlist(application_id=f"w{p}", applicant_id=f"p-w{p}", position=p)
                for p in positions
            )
        )

    def accept(self, application_id: str, at: datetime | None = None) -> list[Fact]:
        offer = offer_id_of(self.cohort.id, application_id)
        return self.run(AcceptOffer(application_id=application_id, offer_id=offer), at=at)

    def decline(self, application_id: str, at: datetime | None = None) -> list[Fact]:
        offer = offer_id_of(self.cohort.id, application_id)
        return self.run(DeclineOffer(application_id=application_id, offer_id=offer), at=at)

    def withdraw(self, application_id: str, at: datetime | None = None) -> list[Fact]:
        return self.run(Withdraw(application_id=application_id, reason="본인 요청"), at=at)

    def check(self, at: datetime) -> list[Fact]:
        return self.run(CheckDeadlines(), at=at)

    def complete(self, attended: dict[str, int], at: datetime) -> list[Fact]:
        return self.run(Complete(attended=attended), at=at)

    def status(self, application_id: str) -> str:
        return self.state.seats[application_id].status.value

    def of_kind(self, kind: FactKind) -> list[str]:
        return [f.seat.application_id for f in self.facts if f.kind is kind and f.seat]
