"""Who goes to which position: preferences in rank order, never more than the positions."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from services.placement.domain.assignment import assignment_event, place
from shared.contracts.placement import PreferenceMatched
from tests.placement.unit.builders import SELECTED_AT, make_call, project, request

TWO_DISTRICTS = (project("drain-geumcheon", 2, "금천구"), project("drain-mapo", 2, "마포구"))


def test_an_applicant_gets_the_project_asked_for_while_it_has_room() -> None:
    call = make_call(*TWO_DISTRICTS)
    plan = place(call, [request("a", rank=1, project="drain-mapo")], {})
    [placed] = plan.placed
    assert (placed.seat.project_id, placed.seat.number) == ("drain-mapo", 1)
    assert placed.preference is PreferenceMatched.PROJECT


def test_then_a_project_in_the_district_asked_for_then_one_near_home() -> None:
    call = make_call(*TWO_DISTRICTS)
    plan = place(
        call,
        [
            request("a", rank=1, project="drain-mapo"),
            request("b", rank=2, project="drain-mapo"),
            request("c", rank=3, project="drain-mapo", district="마포구"),  # mapo is full
            request("d", rank=4, home="금천구"),
        ],
        {},
    )
    placed = {p.request.application_id: (p.seat.project_id, p.preference) for p in plan.placed}
    assert placed == {
        "a": ("drain-mapo", PreferenceMatched.PROJECT),
        "b": ("drain-mapo", PreferenceMatched.PROJECT),
        "c": ("drain-geumcheon", PreferenceMatched.NONE),
        "d": ("drain-geumcheon", PreferenceMatched.HOME_DISTRICT),
    }


def test_a_higher_rank_has_its_preference_met_first_whatever_the_order_of_arrival() -> None:
    call = make_call(project("drain-geumcheon", 1, "금천구"), project("drain-mapo", 5, "마포구"))
    plan = place(
        call,
        [
            request("late", rank=9, project="drain-geumcheon"),
            request("top", rank=1, project="drain-geumcheon"),
        ],
        {},
    )
    placed = {p.request.application_id: p.seat.project_id for p in plan.placed}
    assert placed == {"top": "drain-geumcheon", "late": "drain-mapo"}


def test_without_a_preference_the_project_with_the_most_room_is_filled() -> None:
    call = make_call(project("small", 2), project("large", 10))
    [placed] = place(call, [request("a")], {"large": {1, 2, 3, 4, 5, 6, 7, 8, 9}}).placed
    assert placed.seat.project_id == "small"


def test_seats_taken_by_another_writer_are_skipped_and_nobody_is_placed_once_all_are_taken() -> (
    None
):
    call = make_call(project("drain-geumcheon", 3))
    plan = place(call, [request("a"), request("b")], {"drain-geumcheon": {1, 3}})
    assert [p.seat.number for p in plan.placed] == [2]
    assert [r.application_id for r in plan.unplaced] == ["b"]


def test_the_assignment_states_workplace_term_hours_and_both_monthly_figures() -> None:
    call = make_call(project("drain-geumcheon", 1, "금천구"))
    [placed] = place(call, [request("a", rank=1)], {}).placed
    event = assignment_event(call, placed, SELECTED_AT)
    terms = event.assignment
    assert (event.program_name, event.course_name, event.category) == (
        "서울 동행일자리",
        "빗물받이 관리자",
        "사회안전",
    )
    assert (terms.start_date.isoformat(), terms.end_date.isoformat()) == (
        "2025-07-01",
        "2025-12-20",
    )
    assert (terms.hours_per_day, terms.days_per_week, terms.monthly_paid_hours) == (6, 5, 156)
    assert terms.monthly_pay_krw == terms.first_month_pay_krw == 1_564_680  # no allowances here
    assert event.assignment_id == assignment_event(call, placed, SELECTED_AT).assignment_id


requests = st.lists(
    st.tuples(
        st.none() | st.integers(min_value=1, max_value=40),
        st.none() | st.sampled_from(["p1", "p2", "p3", "elsewhere"]),
        st.none() | st.sampled_from(["금천구", "마포구", "노원구"]),
    ),
    max_size=40,
)
positions = st.tuples(*(st.integers(min_value=1, max_value=6) for _ in range(3)))
taken_before = st.lists(st.integers(min_value=1, max_value=6), max_size=6)


@given(requests, positions, taken_before)
def test_no_project_ever_gets_more_people_than_positions_and_nobody_gets_two(
    drawn: list[tuple[int | None, str | None, str | None]],
    sizes: tuple[int, int, int],
    taken: list[int],
) -> None:
    call = make_call(
        project("p1", sizes[0], "금천구"),
        project("p2", sizes[1], "마포구"),
        project("p3", sizes[2], "노원구"),
    )
    already = {"p1": {n for n in taken if n <= sizes[0]}}
    plan = place(
        call,
        [request(f"a{n}", rank=r, project=p, district=d) for n, (r, p, d) in enumerate(drawn)],
        already,
    )
    seats = [p.seat for p in plan.placed]
    assert len(set(seats)) == len(seats)
    assert not {s.number for s in seats if s.project_id == "p1"} & already["p1"]
    per_project = Counter(s.project_id for s in seats)
    for p in call.projects:
        assert per_project[p.id] + len(already.get(p.id, ())) <= p.positions
        assert all(1 <= s.number <= p.positions for s in seats if s.project_id == p.id)
    # Everyone is placed while there is room, and only then left over.
    free = call.positions - len(already["p1"])
    assert len(plan.placed) == min(len(drawn), free)
    assert len(plan.placed) + len(plan.unplaced) == len(drawn)
