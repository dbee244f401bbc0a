"""Properties of selection that must hold for any call and any field of applicants."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.recruitment.domain import (
    Call,
    DuplicateApplication,
    Screening,
    SelectionMethod,
    SelectionResult,
    select_applicants,
)
from services.recruitment.domain.selection import tie_break_key
from tests.recruitment.unit.builders import make_call, make_screening


@st.composite
def calls(draw: st.DrawFn, methods: tuple[SelectionMethod, ...] = tuple(SelectionMethod)) -> Call:
    share = draw(st.sampled_from([None, 0.1, 0.3, 0.5, 1]))
    return make_call(
        quota=draw(st.integers(min_value=1, max_value=30)),
        selection_method=draw(st.sampled_from(methods)),
        waitlist_size=draw(st.none() | st.integers(min_value=0, max_value=10)),
        priority_track=None if share is None else {"share": share, "grounds": ["near_poor"]},
    )


# Few distinct scores and submission minutes, so that ties are common.
applicant = st.tuples(
    st.sampled_from([0.0, 2.5, 5.0, 10.0]),  # score
    st.integers(min_value=0, max_value=5),  # minutes after the first submission
    st.booleans(),  # meets a priority ground
    st.sampled_from([True, True, True, False]),  # eligible
)


@st.composite
def fields(draw: st.DrawFn, min_size: int = 0) -> list[Screening]:
    drawn = draw(st.lists(applicant, min_size=min_size, max_size=60))
    return [
        make_screening(f"app-{n}", score=s, minutes_after=m, priority=p, eligible=e)
        for n, (s, m, p, e) in enumerate(drawn)
    ]


seeds = st.integers(min_value=0, max_value=2**64)


def select(call: Call, screenings: list[Screening], seed: int) -> SelectionResult:
    return select_applicants(call, screenings, seed=seed)


@given(calls(), fields(), seeds)
def test_seats_never_exceed_the_quota_and_are_filled_when_possible(
    call: Call, screenings: list[Screening], seed: int
) -> None:
    result = select(call, screenings, seed)
    eligible = sum(s.eligible for s in screenings)
    assert len(result.selected) == min(call.quota, eligible)


@given(calls(), fields(), seeds)
def test_the_priority_track_never_exceeds_the_floor_of_quota_times_share(
    call: Call, screenings: list[Screening], seed: int
) -> None:
    result = select(call, screenings, seed)
    share = call.priority_track.share if call.priority_track else 0
    priority = [d for d in result.selected if d.track == "priority"]
    assert len(priority) <= math.floor(call.quota * share)


@given(calls(), fields(), seeds)
def test_every_applicant_gets_exactly_one_decision(
    call: Call, screenings: list[Screening], seed: int
) -> None:
    decided = [d.application_id for d in select(call, screenings, seed).decisions]
    assert sorted(decided) == sorted(s.application_id for s in screenings)


@given(calls(), fields(), seeds, st.randoms(use_true_random=False))
def test_a_selection_replays_identically_from_its_seed_whatever_the_input_order(
    call: Call, screenings: list[Screening], seed: int, rng: random.Random
) -> None:
    reordered = rng.sample(screenings, len(screenings))
    assert select(call, reordered, seed) == select(call, screenings, seed)


@given(calls(), fields(), seeds)
def test_within_a_track_no_one_left_out_ranks_above_anyone_seated(
    call: Call, screenings: list[Screening], seed: int
) -> None:
    result = select(call, screenings, seed)
    has_priority = {s.application_id: bool(s.priority_grounds) for s in screenings}
    left_out = [d for d in result.waitlisted + result.rejected if d.rank is not None]
    for track in ("priority", "general"):
        seated = [d.rank or 0 for d in result.selected if d.track == track]
        # the priority track competes among priority applicants, the general one among all
        competing = [
            d.rank or 0 for d in left_out if track == "general" or has_priority[d.application_id]
        ]
        if seated and competing:
            assert max(seated) < min(competing)


@given(calls(methods=(SelectionMethod.RANKED, SelectionMethod.FIRST_COME)), fields(), seeds)
def test_ranks_follow_score_then_submission_time_then_the_tie_break_key(
    call: Call, screenings: list[Screening], seed: int
) -> None:
    result = select(call, screenings, seed)
    ranked = sorted((d for d in result.decisions if d.rank is not None), key=lambda d: d.rank or 0)
    assert [d.rank for d in ranked] == list(range(1, len(ranked) + 1))
    by_id = {s.application_id: s for s in screenings}
    by_score = call.selection_method is SelectionMethod.RANKED
    keys = [
        (
            -(by_id[d.application_id].score or 0.0) if by_score else 0.0,
            by_id[d.application_id].submitted_at,
            tie_break_key(d.application_id),
        )
        for d in ranked
    ]
    assert keys == sorted(keys)


@given(calls(), fields(), seeds)
def test_the_waitlist_is_numbered_from_one_in_rank_order(
    call: Call, screenings: list[Screening], seed: int
) -> None:
    waitlisted = select(call, screenings, seed).waitlisted
    assert [d.waitlist_position for d in waitlisted] == list(range(1, len(waitlisted) + 1))
    assert [d.rank for d in waitlisted] == sorted(d.rank or 0 for d in waitlisted)
    if call.waitlist_size is not None:
        assert len(waitlisted) <= call.waitlist_size


@settings(max_examples=50)
@given(calls(), fields(min_size=1), seeds, st.data())
def test_an_applicant_applying_twice_is_refused(
    call: Call, screenings: list[Screening], seed: int, data: st.DataObject
) -> None:
    again = data.draw(st.sampled_from(screenings))
    second = make_screening("second-application", applicant_id=again.applicant_id)
    with pytest.raises(DuplicateApplication):
        select(call, [*screenings, second], seed)
