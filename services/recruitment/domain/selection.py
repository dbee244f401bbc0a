"""Selection (선발): who of the eligible gets a seat, who waits, who is turned away.

1. Order the eligible applicants by the call's method; a position in that order is the rank.
   - ranked: score descending, then earlier `submitted_at`, then the tie-break key;
   - first_come: earlier `submitted_at`, then the tie-break key;
   - lottery: sort canonically by `application_id`, give each applicant `Random(seed).random()`
     in that order and sort by it. Only `random()` is used because Python guarantees its
     sequence for a seed across versions (`shuffle` has no such promise), so an audit can
     replay a draw years later.
   The tie-break key is the SHA-256 of the application id: deterministic, and unlike the raw id
   it favours no channel or partner whose ids happen to sort first.
2. Priority seats (floor(quota × share)) go, in order, to applicants meeting a priority ground.
3. The remaining seats, unused priority seats included, go in order to everyone not yet seated,
   priority applicants included.
4. The rest wait in order (positions 1..n) up to the call's waitlist size; anyone beyond it is
   rejected with a reason, like every ineligible applicant is rejected with its failed rules.

The service refuses a second application by the same person to the same call before selection,
so selection treats a repeated applicant or application id as a bug and raises.
"""

import hashlib
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from services.recruitment.domain.call import Call, CallStatus, SelectionMethod
from services.recruitment.domain.screening import Screening
from shared.contracts.recruitment import ApplicationDecided, Decision, FailedRule, Track

NOT_SELECTED = FailedRule(
    code="selection.not_selected",
    message=(
        "아쉽게도 선발 인원과 예비 순번 안에 들지 못하셨습니다. 신청해 주셔서 감사합니다."
        " 다음 모집 공고에 다시 신청해 주세요."
    ),
)

_SELECTABLE = frozenset({CallStatus.CLOSED, CallStatus.SELECTED, CallStatus.PUBLISHED})


class SelectionError(ValueError):
    pass


class SeedRequired(SelectionError):
    pass


class DuplicateApplication(SelectionError):
    pass


@dataclass(frozen=True, slots=True)
class SelectionDecision:
    """One applicant's outcome. `rank` is the position in the call's order (eligible only);
    `track` is the track of the seat, so it is set for selected applicants only."""

    application_id: str
    applicant_id: str
    decision: Decision
    rank: int | None = None
    score: float | None = None
    track: Track | None = None
    waitlist_position: int | None = None
    reasons: tuple[FailedRule, ...] = ()

    def as_event(
        self, call: Call, selection_run_id: str, decided_at: datetime
    ) -> ApplicationDecided:
        return ApplicationDecided(
            application_id=self.application_id,
            call_id=call.id,
            applicant_id=self.applicant_id,
            program_id=call.program_id,
            call_title=call.title,
            decision=self.decision,
            rank=self.rank,
            score=self.score,
            track=self.track,
            waitlist_position=self.waitlist_position,
            reasons=list(self.reasons),
            selection_run_id=selection_run_id,
            decided_at=decided_at,
        )


@dataclass(frozen=True, slots=True)
class SelectionResult:
    """Selected by rank; waitlisted by position; rejected: those beyond the waitlist by rank,
    then the ineligible by application id. The seed is kept so the run can be replayed.
    Stored and reloaded by the service with `pydantic.TypeAdapter(SelectionResult)`."""

    call_id: str
    method: SelectionMethod
    seed: int | None
    quota: int
    priority_seats: int
    selected: tuple[SelectionDecision, ...]
    waitlisted: tuple[SelectionDecision, ...]
    rejected: tuple[SelectionDecision, ...]

    def __post_init__(self) -> None:
        # a last guard: a bug in seating must fail loudly, never publish an over-booked call
        priority = sum(1 for d in self.selected if d.track == "priority")
        if len(self.selected) > self.quota or priority > self.priority_seats:
            raise SelectionError(f"call {self.call_id}: more seats taken than it has")

    @property
    def decisions(self) -> tuple[SelectionDecision, ...]:
        return self.selected + self.waitlisted + self.rejected

    def as_events(
        self, call: Call, selection_run_id: str, decided_at: datetime
    ) -> list[ApplicationDecided]:
        return [d.as_event(call, selection_run_id, decided_at) for d in self.decisions]


def select_applicants(
    call: Call, screenings: Iterable[Screening], seed: int | None = None
) -> SelectionResult:
    screenings = list(screenings)
    _check_selectable(call, screenings, seed)
    eligible = [s for s in screenings if s.eligible]
    order = _order(call.selection_method, eligible, seed)
    rank = {s.application_id: position for position, s in enumerate(order, start=1)}
    seating = _seat(call, order)

    def decided(
        s: Screening,
        decision: Decision,
        track: Track | None = None,
        waitlist_position: int | None = None,
        reasons: tuple[FailedRule, ...] = (),
    ) -> SelectionDecision:
        return SelectionDecision(
            application_id=s.application_id,
            applicant_id=s.applicant_id,
            decision=decision,
            rank=rank.get(s.application_id),
            score=s.score,
            track=track,
            waitlist_position=waitlist_position,
            reasons=reasons,
        )

    selected = [decided(s, "selected", track="priority") for s in seating.priority]
    selected += [decided(s, "selected", track="general") for s in seating.general]
    selected.sort(key=lambda d: d.rank or 0)
    ineligible = sorted((s for s in screenings if not s.eligible), key=lambda s: s.application_id)
    return SelectionResult(
        call_id=call.id,
        method=call.selection_method,
        seed=seed,
        quota=call.quota,
        priority_seats=call.priority_seats,
        selected=tuple(selected),
        waitlisted=tuple(
            decided(s, "waitlisted", waitlist_position=position)
            for position, s in enumerate(seating.waitlist, start=1)
        ),
        rejected=tuple(
            [decided(s, "rejected", reasons=(NOT_SELECTED,)) for s in seating.turned_away]
            + [decided(s, "rejected", reasons=s.failed_rules) for s in ineligible]
        ),
    )


class Seating(NamedTuple):
    priority: list[Screening]
    general: list[Screening]
    waitlist: list[Screening]
    turned_away: list[Screening]


def _seat(call: Call, order: list[Screening]) -> Seating:
    """Steps 2 to 4 of the module docstring, over applicants already in the call's order."""
    priority = [s for s in order if s.priority_grounds][: call.priority_seats]
    seated = {s.application_id for s in priority}
    rest = [s for s in order if s.application_id not in seated]
    general = rest[: call.quota - len(priority)]
    left = rest[len(general) :]
    waitlist = left if call.waitlist_size is None else left[: call.waitlist_size]
    return Seating(priority, general, waitlist, turned_away=left[len(waitlist) :])


def _check_selectable(call: Call, screenings: Sequence[Screening], seed: int | None) -> None:
    if call.status not in _SELECTABLE:
        raise SelectionError(f"call {call.id} is {call.status}: select only after it closes")
    if call.selection_method is SelectionMethod.LOTTERY and seed is None:
        raise SeedRequired(f"call {call.id} draws lots, so it needs a seed to record")
    strangers = sorted({s.call_id for s in screenings} - {call.id})
    if strangers:
        raise SelectionError(f"screenings of other calls given to {call.id}: {strangers}")
    for field in ("application_id", "applicant_id"):
        counts = Counter(getattr(s, field) for s in screenings)
        repeated = sorted(value for value, count in counts.items() if count > 1)
        if repeated:
            raise DuplicateApplication(f"{field} repeated in call {call.id}: {repeated[:5]}")


def tie_break_key(application_id: str) -> str:
    """Orders applicants tied on score and time; see the module docstring for why a hash."""
    return hashlib.sha256(application_id.encode()).hexdigest()


def _order(method: SelectionMethod, eligible: list[Screening], seed: int | None) -> list[Screening]:
    match method:
        case SelectionMethod.RANKED:
            return sorted(
                eligible,
                key=lambda s: (-(s.score or 0.0), s.submitted_at, tie_break_key(s.application_id)),
            )
        case SelectionMethod.FIRST_COME:
            return sorted(eligible, key=lambda s: (s.submitted_at, tie_break_key(s.application_id)))
        case SelectionMethod.LOTTERY:
            draw = random.Random(seed)
            canonical = sorted(eligible, key=lambda s: s.application_id)
            tickets = [(draw.random(), s.application_id, s) for s in canonical]
            tickets.sort(key=lambda ticket: ticket[:2])
            return [s for _, _, s in tickets]
