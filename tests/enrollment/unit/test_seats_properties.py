"""Properties of a cohort's seats that must hold whatever order selections, waitlistings and
answers arrive in: never over-booked, never the waitlist out of order, filled once per filling,
and a batch applied again (a redelivery) changes nothing."""

from dataclasses import dataclass
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.enrollment.domain.commands import (
    AcceptOffer,
    CheckDeadlines,
    Command,
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
    SeatStatus,
    decide,
)
from tests.enrollment.unit.builders import BEFORE_START, make_cohort


@dataclass(frozen=True)
class Scenario:
    capacity: int
    selected: int
    waitlisted: int
    arrivals: list[str]  # application ids in the order their events arrive
    steps: list[tuple[str, int, int]]  # (action, pick, hours later), interleaved with arrivals
    batch_sizes: list[int]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    capacity = draw(st.integers(min_value=1, max_value=6))
    selected = draw(st.integers(min_value=0, max_value=capacity + 2))
    waitlisted = draw(st.integers(min_value=0, max_value=8))
    ids = [f"s{n}" for n in range(1, selected + 1)] + [f"w{n}" for n in range(1, waitlisted + 1)]
    arrivals = draw(st.permutations(ids))
    actions = st.sampled_from(
        ["arrive"] * 3 + ["accept"] * 3 + ["decline"] * 2 + ["withdraw", "check"]
    )
    # up to 60 steps of up to 12 hours: offers (24 h) expire, late entry (3 days) may close
    steps = draw(
        st.lists(
            st.tuples(actions, st.integers(0, 50), st.integers(0, 12)), min_size=1, max_size=60
        )
    )
    batch_sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=10))
    early = draw(st.integers(0, len(ids)))  # arrive before anyone answers; the rest later
    steps = [("arrive", 0, 0)] * early + steps
    return Scenario(capacity, selected, waitlisted, list(arrivals), steps, batch_sizes)


def arrival(application_id: str) -> Command:
    number = int(application_id[1:])
    if application_id.startswith("s"):
        return OfferSeat(
            application_id=application_id, applicant_id=f"p-{application_id}", rank=number
        )
    return JoinWaitlist(
        application_id=application_id, applicant_id=f"p-{application_id}", position=number
    )


def run(scenario: Scenario) -> tuple[list[Fact], CohortSeats, list[list[Instruction]]]:
    """Drive the cohort as its writer would be driven: answers only to offers that are open
    (the HTTP side checks), time moving forward, commands in batches, each batch applied a
    second time right after (a redelivery) to check that it changes nothing."""
    cohort = make_cohort(capacity=scenario.capacity, offer_hours=24, late_entry_days=3)
    state = CohortSeats()
    facts: list[Fact] = []
    batches: list[list[Instruction]] = []
    waiting = list(scenario.arrivals)
    at = BEFORE_START
    pending: list[Instruction] = []
    sizes = iter(scenario.batch_sizes * 100)
    n = 0

    def flush() -> None:
        nonlocal state
        if not pending:
            return
        state, new = decide(cohort, state, pending)
        facts.extend(new)
        again_state, again = decide(cohort, state, pending)
        assert again == [] and again_state == state, "a redelivered batch changed something"
        batches.append(list(pending))
        pending.clear()

    size = next(sizes)
    for action, pick, hours in [*scenario.steps, *[("arrive", 0, 1)] * len(waiting)]:
        at += timedelta(hours=hours)
        command: Command | None = None
        offered = [s for s in state.seats.values() if s.status is SeatStatus.OFFERED]
        holders = [s for s in state.seats.values() if s.status is not SeatStatus.DECLINED]
        if action == "arrive" and waiting:
            command = arrival(waiting.pop(0))
        elif action in ("accept", "decline") and offered:
            seat = offered[pick % len(offered)]
            assert seat.offer_id is not None
            kind = AcceptOffer if action == "accept" else DeclineOffer
            command = kind(application_id=seat.application_id, offer_id=seat.offer_id)
        elif action == "withdraw" and holders:
            seat = holders[pick % len(holders)]
            command = Withdraw(application_id=seat.application_id, reason="본인 요청")
        elif action == "check":
            command = CheckDeadlines()
        if command is None:
            continue
        n += 1
        pending.append(Instruction(f"c{n}", f"corr{n}", at, command))
        if len(pending) >= size:
            flush()
            size = next(sizes)
    flush()
    return facts, state, batches


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_seats_held_never_exceed_capacity_and_nobody_holds_two(scenario: Scenario) -> None:
    facts, state, _ = run(scenario)
    statuses: dict[str, SeatStatus] = {}
    for fact in facts:
        if fact.seat is not None:
            statuses[fact.seat.application_id] = fact.seat.status
            held = sum(
                1 for s in statuses.values() if s in (SeatStatus.OFFERED, SeatStatus.CONFIRMED)
            )
            assert held <= scenario.capacity
    assert state.held <= scenario.capacity
    assert len(state.seats) == len({s.application_id for s in state.seats.values()})
    assert set(state.seats) == set(scenario.arrivals)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_freed_seats_go_to_the_selected_then_the_waitlist_in_position_order(
    scenario: Scenario,
) -> None:
    facts, _, _ = run(scenario)
    seats: dict[str, SeatStatus] = {}
    positions: dict[int, str] = {}
    for fact in facts:
        seat = fact.seat
        if seat is None:
            continue
        if fact.kind is FactKind.PROMOTED and not seat.selected:
            assert seat.position is not None
            assert not any(seats[a] is SeatStatus.WAITING for a in seats if a.startswith("s")), (
                "a waitlisted applicant promoted before a queued selected one"
            )
            for ahead in range(1, seat.position):
                assert ahead in positions, f"position {seat.position} promoted before {ahead} came"
                assert seats[positions[ahead]] is not SeatStatus.WAITING, "passed over"
        seats[seat.application_id] = seat.status
        if seat.position is not None:
            positions[seat.position] = seat.application_id


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_the_cohort_is_filled_once_per_time_every_seat_becomes_confirmed(
    scenario: Scenario,
) -> None:
    facts, state, _ = run(scenario)
    confirmed: set[str] = set()
    full = False
    fillings = 0
    for index, fact in enumerate(facts):
        if fact.kind is FactKind.FILLED:
            fillings += 1
            assert fact.filling == fillings
            continue
        seat = fact.seat
        assert seat is not None
        if seat.status is SeatStatus.CONFIRMED:
            confirmed.add(seat.application_id)
        else:
            confirmed.discard(seat.application_id)
        if len(confirmed) < scenario.capacity:
            full = False
        elif not full:
            full = True
            assert facts[index + 1].kind is FactKind.FILLED
    assert state.fillings == fillings
