"""Selection: tracks, methods, waitlist and the decided events."""

import random
from collections.abc import Sequence
from datetime import datetime

import pytest
from pydantic import TypeAdapter

from services.recruitment.domain import (
    NOT_SELECTED,
    DuplicateApplication,
    Screening,
    SeedRequired,
    SelectionDecision,
    SelectionError,
    SelectionResult,
    screen_application,
    select_applicants,
)
from services.recruitment.domain.selection import tie_break_key
from shared.clock import SEOUL
from tests.recruitment.unit.builders import make_application, make_call, make_screening

PRIORITY_30 = {"share": 0.3, "grounds": ["basic_livelihood", "near_poor", "national_merit"]}


def ids_of(decisions: Sequence[SelectionDecision]) -> list[str]:
    return [d.application_id for d in decisions]


def tracks(result: SelectionResult) -> dict[str, list[str]]:
    seated: dict[str, list[str]] = {"priority": [], "general": []}
    for decision in result.selected:
        assert decision.track is not None
        seated[decision.track].append(decision.application_id)
    return seated


def pool(general: int, priority: int, *, priority_on_top: bool) -> list[Screening]:
    """`general` + `priority` applicants with distinct scores; g1/p1 score highest."""
    top, bottom = (100, 50) if priority_on_top else (50, 100)
    return [make_screening(f"g{i}", score=bottom - i) for i in range(1, general + 1)] + [
        make_screening(f"p{i}", score=top - i, priority=True) for i in range(1, priority + 1)
    ]


@pytest.mark.parametrize(
    ("screenings", "priority_seated", "general_seated"),
    [
        (
            pool(20, 5, priority_on_top=False),
            ["p1", "p2", "p3"],
            ["g1", "g2", "g3", "g4", "g5", "g6", "g7"],
        ),
        (
            pool(20, 1, priority_on_top=False),
            ["p1"],
            ["g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"],
        ),
        (
            pool(20, 5, priority_on_top=True),
            ["p1", "p2", "p3"],
            ["p4", "p5", "g1", "g2", "g3", "g4", "g5"],
        ),
        (pool(20, 0, priority_on_top=False), [], [f"g{i}" for i in range(1, 11)]),
        (
            pool(4, 5, priority_on_top=False),
            ["p1", "p2", "p3"],
            ["g1", "g2", "g3", "g4", "p4", "p5"],
        ),
    ],
    ids=[
        "low-ranked priority applicants take at most 30% of the seats",
        "unused priority seats go to the general track",
        "priority applicants not seated in the priority track compete in the general track",
        "with no priority applicant every seat is general",
        "with too few applicants everyone eligible is seated",
    ],
)
def test_priority_track_of_30_percent_of_10_seats(
    screenings: list[Screening], priority_seated: list[str], general_seated: list[str]
) -> None:
    result = select_applicants(make_call(quota=10, priority_track=PRIORITY_30), screenings)
    assert result.priority_seats == 3
    assert tracks(result) == {"priority": priority_seated, "general": general_seated}


def test_a_call_without_priority_track_seats_everyone_in_the_general_track() -> None:
    result = select_applicants(make_call(quota=3), pool(2, 2, priority_on_top=True))
    assert tracks(result) == {"priority": [], "general": ["p1", "p2", "g1"]}


def test_ranked_order_is_score_then_submission_time_then_the_tie_break_key() -> None:
    screenings = [
        make_screening("late-high", score=10, minutes_after=9),
        make_screening("early-low", score=5, minutes_after=0),
        make_screening("early-high", score=10, minutes_after=1),
        make_screening("tie-a", score=7, minutes_after=3),
        make_screening("tie-b", score=7, minutes_after=3),
    ]
    result = select_applicants(make_call(quota=5), screenings)
    tied = sorted(["tie-a", "tie-b"], key=tie_break_key)
    assert ids_of(result.selected) == ["early-high", "late-high", *tied, "early-low"]
    assert [d.rank for d in result.selected] == [1, 2, 3, 4, 5]


def test_first_come_is_by_submission_time_whatever_the_score() -> None:
    screenings = [
        make_screening("second", score=10, minutes_after=2),
        make_screening("first", score=0, minutes_after=1),
        make_screening("third", score=99, minutes_after=3),
    ]
    result = select_applicants(make_call(quota=2, selection_method="first_come"), screenings)
    assert ids_of(result.selected) == ["first", "second"]
    assert ids_of(result.waitlisted) == ["third"]


LOTTERY_POOL = [make_screening(f"a{i:03}", minutes_after=i % 7) for i in range(200)]


def test_a_seeded_lottery_replays_identically_whatever_the_input_order() -> None:
    call = make_call(quota=20, selection_method="lottery", priority_track=PRIORITY_30)
    shuffled = random.Random(1).sample(LOTTERY_POOL, len(LOTTERY_POOL))
    first = select_applicants(call, LOTTERY_POOL, seed=20250512)
    assert select_applicants(call, shuffled, seed=20250512) == first
    assert first.seed == 20250512


def test_a_lottery_draw_depends_on_its_seed() -> None:
    call = make_call(quota=20, selection_method="lottery")
    draws = {ids_of(select_applicants(call, LOTTERY_POOL, seed=s).selected)[0] for s in range(10)}
    assert len(draws) > 1


def test_a_recorded_draw_keeps_its_result() -> None:
    """Guards the audit promise: if this changes, old draws can no longer be replayed."""
    call = make_call(quota=3, selection_method="lottery")
    result = select_applicants(call, LOTTERY_POOL[:10], seed=42)
    assert ids_of(result.selected) == ["a001", "a009", "a007"]


def test_a_lottery_without_a_seed_is_refused() -> None:
    with pytest.raises(SeedRequired):
        select_applicants(make_call(selection_method="lottery"), LOTTERY_POOL)


@pytest.mark.parametrize(
    ("waitlist_size", "waitlisted", "turned_away"),
    [(None, ["c", "d", "e"], []), (2, ["c", "d"], ["e"]), (0, [], ["c", "d", "e"])],
    ids=[
        "by default everyone eligible and not selected waits",
        "a waitlist of 2 keeps the next two in order",
        "a call without waitlist turns the rest away",
    ],
)
def test_waitlist(waitlist_size: int | None, waitlisted: list[str], turned_away: list[str]) -> None:
    ineligible = make_screening("ineligible", eligible=False)
    screenings = [make_screening(n, score=10 - i) for i, n in enumerate("abcde")] + [ineligible]
    result = select_applicants(make_call(quota=2, waitlist_size=waitlist_size), screenings)
    assert ids_of(result.selected) == ["a", "b"]
    assert ids_of(result.waitlisted) == waitlisted
    assert [d.waitlist_position for d in result.waitlisted] == list(range(1, len(waitlisted) + 1))
    assert [(d.application_id, d.reasons) for d in result.rejected] == [
        *[(n, (NOT_SELECTED,)) for n in turned_away],
        ("ineligible", ineligible.failed_rules),
    ]


def test_ineligible_applicants_are_rejected_with_their_failed_rules_and_no_rank() -> None:
    [rejected] = select_applicants(make_call(), [make_screening("x", eligible=False)]).rejected
    assert (rejected.decision, rejected.rank, rejected.score) == ("rejected", None, None)
    assert [r.code for r in rejected.reasons] == ["residency.outside_sido"]


@pytest.mark.parametrize(
    ("screenings", "error"),
    [
        ([make_screening("a"), make_screening("a", applicant_id="other")], DuplicateApplication),
        (
            [make_screening("a", applicant_id="p"), make_screening("b", applicant_id="p")],
            DuplicateApplication,
        ),
        ([make_screening("a", call_id="another-call")], SelectionError),
    ],
    ids=[
        "the same application twice is refused",
        "the same person applying twice is refused",
        "a screening of another call is refused",
    ],
)
def test_selection_refuses_input_the_service_should_have_stopped(
    screenings: list[Screening], error: type[Exception]
) -> None:
    with pytest.raises(error):
        select_applicants(make_call(), screenings)


@pytest.mark.parametrize("status", ["draft", "open"], ids=["a draft call", "an open call"])
def test_selection_waits_for_the_window_to_close(status: str) -> None:
    with pytest.raises(SelectionError, match="select only after it closes"):
        select_applicants(make_call(status=status), [])


def test_screening_then_selection_yields_the_decided_events() -> None:
    call = make_call(
        quota=2,
        waitlist_size=1,
        eligibility=[{"kind": "residency", "sido": "서울특별시"}],
        scoring=[{"kind": "income_category", "points": {"basic_livelihood": 10}}],
        priority_track={"share": 0.5, "grounds": ["basic_livelihood"]},
    )
    applications = [
        make_application(application_id="poor", income_category="basic_livelihood"),
        make_application(
            application_id="first", submitted_at=datetime(2025, 5, 7, 9, tzinfo=SEOUL)
        ),
        make_application(application_id="second"),
        make_application(application_id="third"),
        make_application(
            application_id="gyeonggi", address={"sido": "경기도", "sigungu": "군포시"}
        ),
    ]
    result = select_applicants(call, [screen_application(call, a) for a in applications])
    decided_at = datetime(2025, 5, 20, 10, tzinfo=SEOUL)
    events = {e.application_id: e for e in result.as_events(call, "run-1", decided_at)}
    assert [(e.decision, e.track, e.rank, e.waitlist_position) for e in events.values()] == [
        ("selected", "priority", 1, None),
        ("selected", "general", 2, None),
        ("waitlisted", None, 3, 1),
        ("rejected", None, 4, None),
        ("rejected", None, None, None),
    ]
    assert list(events) == [
        "poor",
        "first",
        *sorted(["second", "third"], key=tie_break_key),
        "gyeonggi",
    ]
    assert events["poor"].score == 10.0
    assert events["gyeonggi"].reasons[0].code == "residency.outside_sido"
    assert {e.selection_run_id for e in events.values()} == {"run-1"}


def test_screenings_and_results_round_trip_through_json_for_storage() -> None:
    call = make_call(
        quota=1,
        scoring=[{"kind": "national_merit", "points": 5}],
        priority_track={"share": 1, "grounds": ["national_merit"]},
    )
    applications = [
        make_application(application_id="merit", national_merit=True),
        make_application(application_id="general"),
        make_application(application_id="far", address={"sido": "부산광역시", "sigungu": "중구"}),
    ]
    screenings = [screen_application(call, a) for a in applications]
    stored = TypeAdapter(list[Screening]).dump_python(screenings, mode="json")
    assert TypeAdapter(list[Screening]).validate_python(stored) == screenings
    result = select_applicants(call, screenings)
    stored_result = TypeAdapter(SelectionResult).dump_python(result, mode="json")
    assert TypeAdapter(SelectionResult).validate_python(stored_result) == result
