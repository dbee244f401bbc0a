"""A cohort's seats, offers and waitlist: the rules its one writer applies (pure; time comes in
with each command).

Every application that reaches a cohort has one `Seat` record there, whatever became of it.
A seat is *held* while its offer is open or its enrollment confirmed; at most `capacity` are
held at any time. Selected applicants are offered a seat (queued ahead of the waitlist if none
is free); waitlisted ones wait by their position. A decline, an expiry or a withdrawal frees a
seat: a *vacancy*, which goes to the next in line: first a selected applicant who is still
queued (by rank), then the waitlist in position order. A waitlisted applicant is never passed
over: if position 3 is known but position 2 has not arrived yet, the vacancy waits for 2.
Vacancies come from releases only, never from unused capacity, so a selected applicant whose
event arrives late still finds their seat. The cohort is *full* when every seat is confirmed;
each time it becomes full is one `filled` fact (again only after a release).

Applying a command twice changes nothing the second time: the writer may see a command again
after a crash or a rebalance.
"""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from .cohort import Cohort
from .commands import (
    AcceptOffer,
    CheckDeadlines,
    Command,
    Complete,
    DeclineOffer,
    JoinWaitlist,
    OfferSeat,
    Withdraw,
)


class SeatStatus(StrEnum):
    WAITING = "waiting"  # on the waitlist, or selected but queued for a free seat
    OFFERED = "offered"
    CONFIRMED = "confirmed"  # enrolled
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"  # 수료
    DROPPED_OUT = "dropped_out"  # 미수료: attendance below the program's rate


HOLDING = frozenset({SeatStatus.OFFERED, SeatStatus.CONFIRMED})

# Korean reasons, as the citizen reads them in enrollment.enrollment.withdrawn.
DECLINED_REASON = "본인 요청에 따른 등록 포기"
EXPIRED_REASON = "등록 기한 경과"
DROPPED_OUT_REASON = "출석률 미달로 수료 기준 미충족"


@dataclass(frozen=True)
class Seat:
    application_id: str
    applicant_id: str
    correlation_id: str
    status: SeatStatus
    selected: bool  # by recruitment; else waitlisted
    rank: int | None
    position: int | None  # on the waitlist
    changed_at: datetime
    offer_id: str | None = None
    offered_at: datetime | None = None
    deadline: datetime | None = None
    promoted: bool = False  # offered when a seat was freed
    reason: str | None = None
    attended: int | None = None  # sessions attended, at completion

    @property
    def enrollment_id(self) -> str:
        # One application is enrolled at most once: the enrollment id is the application id.
        return self.application_id


class FactKind(StrEnum):
    OFFERED = "offered"  # a selected applicant's seat
    QUEUED = "queued"  # waitlisted, or selected with no seat free
    PROMOTED = "promoted"  # a freed seat offered to the next in line
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    FILLED = "filled"
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"


@dataclass(frozen=True)
class Fact:
    """What a command changed: the seat as it is now (or, for `filled`, which filling)."""

    kind: FactKind
    at: datetime
    caused_by: str  # the command's event id
    seat: Seat | None = None
    filling: int | None = None


@dataclass(frozen=True)
class CohortSeats:
    seats: Mapping[str, Seat] = field(default_factory=lambda: MappingProxyType({}))
    vacancies: int = 0
    fillings: int = 0  # times the cohort became full
    full: bool = False

    def count(self, *statuses: SeatStatus) -> int:
        return sum(1 for seat in self.seats.values() if seat.status in statuses)

    @property
    def held(self) -> int:
        return self.count(*HOLDING)

    def waitlist(self) -> list[Seat]:
        """Who is in line for a freed seat, in order."""
        waiting = [s for s in self.seats.values() if s.status is SeatStatus.WAITING]
        return sorted(waiting, key=_line_order)

    def with_facts(self, facts: Iterable[Fact], counters: "Counters") -> "CohortSeats":
        """This state after facts recorded earlier (a writer taking the cohort over)."""
        seats = dict(self.seats)
        for fact in facts:
            if fact.seat is not None:
                seats[fact.seat.application_id] = fact.seat
        return CohortSeats(MappingProxyType(seats), *counters)


Counters = tuple[int, int, bool]  # vacancies, fillings, full


@dataclass(frozen=True)
class Instruction:
    """A seat command as the writer got it."""

    command_id: str
    correlation_id: str
    at: datetime
    command: Command


def offer_id_of(cohort_id: str, application_id: str) -> str:
    """Stable, short and unguessable enough to quote on the phone: an application gets at most
    one offer per cohort, and a repeated command must name the same one."""
    digest = hashlib.sha256(f"{cohort_id}\x1f{application_id}".encode()).hexdigest()
    return f"OF-{digest[:10].upper()}"


def attendance_suffices(attended: int, sessions: int, rate: Fraction) -> bool:
    """Completion needs at least `rate` of the sessions; exact, no rounding (799/1000 < 80%)."""
    return Fraction(attended, sessions) >= rate


def decide(
    cohort: Cohort, state: CohortSeats, instructions: Sequence[Instruction]
) -> tuple[CohortSeats, list[Fact]]:
    """Apply the commands in order; the new state and what changed."""
    desk = _Desk(cohort, state)
    for instruction in instructions:
        desk.apply(instruction)
    return desk.state(), desk.facts


def _line_order(seat: Seat) -> tuple[int, int, str]:
    # Selected applicants still queued come first, by rank; then the waitlist by position.
    if seat.selected:
        return (0, seat.rank or 10**9, seat.application_id)
    return (1, seat.position or 10**9, seat.application_id)


class _Desk:
    """The working copy of one cohort's seats while a batch of commands is applied."""

    def __init__(self, cohort: Cohort, state: CohortSeats) -> None:
        self.cohort = cohort
        self.seats = dict(state.seats)
        self.vacancies = state.vacancies
        self.fillings = state.fillings
        self.full = state.full
        self.facts: list[Fact] = []
        self._now = cohort.starts_at
        self._cause = ""

    def state(self) -> CohortSeats:
        return CohortSeats(
            MappingProxyType(dict(self.seats)), self.vacancies, self.fillings, self.full
        )

    # -- bookkeeping ------------------------------------------------------------------------
    def held(self) -> int:
        return sum(1 for s in self.seats.values() if s.status in HOLDING)

    def confirmed(self) -> int:
        return sum(1 for s in self.seats.values() if s.status is SeatStatus.CONFIRMED)

    def record(self, kind: FactKind, seat: Seat) -> None:
        self.seats[seat.application_id] = seat
        self.facts.append(Fact(kind, self._now, self._cause, seat))

    def offer(self, seat: Seat, *, promoted: bool) -> None:
        offered = replace(
            seat,
            status=SeatStatus.OFFERED,
            changed_at=self._now,
            offer_id=offer_id_of(self.cohort.id, seat.application_id),
            offered_at=self._now,
            deadline=self.cohort.offer_deadline(self._now),
            promoted=promoted,
        )
        self.record(FactKind.PROMOTED if promoted else FactKind.OFFERED, offered)

    def end(self, seat: Seat, status: SeatStatus, kind: FactKind, reason: str | None) -> None:
        self.record(kind, replace(seat, status=status, changed_at=self._now, reason=reason))

    # -- commands ---------------------------------------------------------------------------
    def apply(self, instruction: Instruction) -> None:
        self._now, self._cause = instruction.at, instruction.command_id
        command = instruction.command
        if isinstance(command, OfferSeat | JoinWaitlist):
            self.arrive(command, instruction.correlation_id)
        elif isinstance(command, AcceptOffer):
            self.accept(command)
        elif isinstance(command, DeclineOffer):
            self.decline(command)
        elif isinstance(command, Withdraw):
            self.withdraw(command)
        elif isinstance(command, CheckDeadlines):
            self.expire_overdue()
        elif isinstance(command, Complete):
            self.complete(command)
        self.fill()

    def arrive(self, command: OfferSeat | JoinWaitlist, correlation_id: str) -> None:
        if command.application_id in self.seats:
            return  # seen before: whatever became of it stands
        selected = isinstance(command, OfferSeat)
        seat = Seat(
            application_id=command.application_id,
            applicant_id=command.applicant_id,
            correlation_id=correlation_id,
            status=SeatStatus.WAITING,
            selected=selected,
            rank=command.rank if isinstance(command, OfferSeat) else None,
            position=command.position if isinstance(command, JoinWaitlist) else None,
            changed_at=self._now,
        )
        if selected and self.held() < self.cohort.capacity:
            self.offer(seat, promoted=False)
            # The vacancies still open cannot outnumber the seats still free.
            self.vacancies = min(self.vacancies, self.cohort.capacity - self.held())
        else:
            self.record(FactKind.QUEUED, seat)

    def open_offer(self, application_id: str, offer_id: str) -> Seat | None:
        seat = self.seats.get(application_id)
        if seat is None or seat.status is not SeatStatus.OFFERED or seat.offer_id != offer_id:
            return None
        return seat

    def accept(self, command: AcceptOffer) -> None:
        seat = self.open_offer(command.application_id, command.offer_id)
        if seat is None or seat.deadline is None or self._now > seat.deadline:
            return  # not open (any more): the citizen sees the seat's status
        self.record(
            FactKind.CONFIRMED, replace(seat, status=SeatStatus.CONFIRMED, changed_at=self._now)
        )
        if not self.full and self.confirmed() >= self.cohort.capacity:
            self.full = True
            self.fillings += 1
            self.facts.append(Fact(FactKind.FILLED, self._now, self._cause, filling=self.fillings))

    def decline(self, command: DeclineOffer) -> None:
        seat = self.open_offer(command.application_id, command.offer_id)
        if seat is not None:
            self.end(seat, SeatStatus.DECLINED, FactKind.DECLINED, DECLINED_REASON)
            self.release()

    def withdraw(self, command: Withdraw) -> None:
        seat = self.seats.get(command.application_id)
        if seat is None:
            return
        if seat.status is SeatStatus.OFFERED:
            self.end(seat, SeatStatus.DECLINED, FactKind.DECLINED, command.reason)
            self.release()
        elif seat.status is SeatStatus.CONFIRMED:
            self.end(seat, SeatStatus.WITHDRAWN, FactKind.WITHDRAWN, command.reason)
            self.full = False
            self.release()
        elif seat.status is SeatStatus.WAITING:
            self.end(seat, SeatStatus.WITHDRAWN, FactKind.WITHDRAWN, command.reason)

    def expire_overdue(self) -> None:
        overdue = [
            s
            for s in self.seats.values()
            if s.status is SeatStatus.OFFERED and s.deadline is not None and s.deadline < self._now
        ]
        for seat in sorted(overdue, key=lambda s: (s.deadline, _line_order(s))):
            self.end(seat, SeatStatus.EXPIRED, FactKind.EXPIRED, EXPIRED_REASON)
            self.release()

    def complete(self, command: Complete) -> None:
        rate = Fraction(self.cohort.attendance_rate)
        enrolled = [s for s in self.seats.values() if s.status is SeatStatus.CONFIRMED]
        for seat in sorted(enrolled, key=lambda s: s.application_id):
            attended = min(command.attended.get(seat.enrollment_id, 0), self.cohort.sessions)
            if attendance_suffices(attended, self.cohort.sessions, rate):
                status, kind, reason = SeatStatus.COMPLETED, FactKind.COMPLETED, None
            else:
                status, kind = SeatStatus.DROPPED_OUT, FactKind.DROPPED_OUT
                reason = DROPPED_OUT_REASON
            self.record(
                kind,
                replace(
                    seat, status=status, changed_at=self._now, reason=reason, attended=attended
                ),
            )

    # -- freed seats ------------------------------------------------------------------------
    def release(self) -> None:
        if self._now < self.cohort.promotions_close_at:
            self.vacancies += 1

    def next_in_line(self) -> Seat | None:
        waiting = sorted(
            (s for s in self.seats.values() if s.status is SeatStatus.WAITING), key=_line_order
        )
        if not waiting:
            return None
        head = waiting[0]
        if head.selected or head.position is None:
            return head
        known = {s.position for s in self.seats.values() if not s.selected}
        if any(p not in known for p in range(1, head.position)):
            return None  # someone ahead of them has not arrived yet: the vacancy waits
        return head

    def fill(self) -> None:
        if self._now >= self.cohort.promotions_close_at:
            self.vacancies = 0
            return
        while self.vacancies > 0 and self.held() < self.cohort.capacity:
            head = self.next_in_line()
            if head is None:
                break
            self.offer(head, promoted=True)
            self.vacancies -= 1
        self.vacancies = min(self.vacancies, self.cohort.capacity - self.held())
