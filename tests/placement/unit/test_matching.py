"""Recommendations for graduates, matching-day interview slots, and the study pathway."""

from collections import Counter
from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.placement.domain.employers import RegisteredEmployer, StudyCourse, pathway_opened
from services.placement.domain.employment import confirm
from services.placement.domain.matching import (
    Graduate,
    InterviewRequest,
    Opening,
    course_skills,
    recommend,
    schedule,
    slot_starts,
)
from services.placement.entrypoints.http import MatchingDayIn
from shared.clock import SEOUL
from shared.contracts.placement import Employer, EmploymentReported, EmploymentType

TODAY = date(2025, 10, 1)
NOW = datetime(2025, 10, 1, 9, tzinfo=SEOUL)


def opening(
    opening_id: str,
    tags: set[str],
    *,
    district: str = "금천구",
    kind: EmploymentType = EmploymentType.PERMANENT,
    closes_on: date = date(2025, 10, 31),
) -> Opening:
    return Opening(
        opening_id=opening_id,
        business_no="123-45-67890",
        employer_name="서울상사",
        title="백엔드 개발자",
        tags=frozenset(tags),
        district=district,
        employment_type=kind,
        positions=2,
        closes_on=closes_on,
    )


GRADUATE = Graduate(
    applicant_id="p-1",
    skills=frozenset({"python", "sql", "ai"}),
    districts=frozenset({"금천구"}),
    employment_types=frozenset({EmploymentType.PERMANENT}),
)


def test_openings_are_ranked_by_shared_skills_then_district_then_employment_type() -> None:
    found = recommend(
        GRADUATE,
        [
            opening("half-skills-far", {"python", "java"}, district="노원구"),
            opening(
                "all-skills-far-part-time",
                {"python", "sql"},
                district="노원구",
                kind=EmploymentType.PART_TIME,
            ),
            opening("all-skills-near", {"python", "sql"}),
            opening("half-skills-near", {"python", "java"}),
        ],
        TODAY,
    )
    assert [r.opening.opening_id for r in found] == [
        "all-skills-near",
        "half-skills-near",
        "all-skills-far-part-time",
        "half-skills-far",
    ]
    assert found[0].matched_skills == ("python", "sql")
    assert found[0].same_district and found[0].wanted_type


def test_closed_openings_and_those_sharing_no_skill_are_not_recommended() -> None:
    found = recommend(
        GRADUATE,
        [
            opening("closed", {"python"}, closes_on=date(2025, 9, 30)),
            opening("no-skill", {"welding"}),
            opening("closes-today", {"python"}, closes_on=TODAY),
        ],
        TODAY,
    )
    assert [r.opening.opening_id for r in found] == ["closes-today"]


def test_a_graduates_skills_come_from_the_courses_completed() -> None:
    catalog = {"청년취업사관학교": {"빅데이터 엔지니어 과정": ["Big-Data", "python", " sql "]}}
    assert course_skills(catalog, [("청년취업사관학교", "빅데이터 엔지니어 과정")]) == {
        "big-data",
        "python",
        "sql",
    }
    assert course_skills(catalog, [("서울시 기술교육원", "빅데이터 엔지니어 과정")]) == frozenset()


SLOTS = slot_starts(date(2025, 11, 12), time(10), time(12), 30, SEOUL)


def test_a_day_from_10_to_12_in_30_minute_slots_has_four() -> None:
    assert [s.strftime("%H:%M") for s in SLOTS] == ["10:00", "10:30", "11:00", "11:30"]


def test_a_candidate_seeing_two_employers_and_an_employer_seeing_two_candidates_never_overlap() -> (
    None
):
    day = schedule(
        [
            InterviewRequest("p-1", "111-11-11111"),
            InterviewRequest("p-1", "222-22-22222"),
            InterviewRequest("p-2", "111-11-11111"),
            InterviewRequest("p-1", "111-11-11111"),  # referred twice: one interview
        ],
        SLOTS,
    )
    booked = {(i.applicant_id, i.business_no): i.slot for i in day.interviews}
    assert booked.keys() == {
        ("p-1", "111-11-11111"),
        ("p-1", "222-22-22222"),
        ("p-2", "111-11-11111"),
    }
    assert set(booked.values()) == {0, 1}  # two slots are enough, and used
    assert booked[("p-1", "111-11-11111")] != booked[("p-1", "222-22-22222")]
    assert booked[("p-1", "111-11-11111")] != booked[("p-2", "111-11-11111")]
    assert day.unscheduled == ()


def test_as_many_slots_as_the_busiest_person_has_interviews_fit_everyone() -> None:
    """Three candidates each seeing the same three employers: nine interviews in three slots,
    which a first-free-slot greedy would not manage."""
    employers = ["111-11-11111", "222-22-22222", "333-33-33333"]
    requests = [InterviewRequest(f"p-{n}", e) for n in range(3) for e in employers]
    day = schedule(requests, SLOTS[:3])
    assert len(day.interviews) == 9
    assert day.unscheduled == ()


def test_what_does_not_fit_in_the_day_is_left_unscheduled() -> None:
    requests = [InterviewRequest(f"p-{n}", "111-11-11111") for n in range(6)]
    day = schedule(requests, SLOTS)
    assert len(day.interviews) == 4
    assert [r.applicant_id for r in day.unscheduled] == ["p-4", "p-5"]


pairs = st.lists(
    st.builds(
        InterviewRequest,
        st.sampled_from([f"p-{n}" for n in range(8)]),
        st.sampled_from(["111-11-11111", "222-22-22222", "333-33-33333"]),
    ),
    max_size=40,
)


@given(pairs, st.integers(min_value=1, max_value=8))
def test_nobody_is_ever_booked_twice_in_one_slot_and_every_pair_is_seen_once(
    requests: list[InterviewRequest], slot_count: int
) -> None:
    slots = slot_starts(date(2025, 11, 12), time(9), time(18), 60, SEOUL)[:slot_count]
    day = schedule(requests, slots)
    employer_slots = [(i.business_no, i.slot) for i in day.interviews]
    candidate_slots = [(i.applicant_id, i.slot) for i in day.interviews]
    assert len(set(employer_slots)) == len(employer_slots)
    assert len(set(candidate_slots)) == len(candidate_slots)
    seen = [(i.applicant_id, i.business_no) for i in day.interviews] + [
        (r.applicant_id, r.business_no) for r in day.unscheduled
    ]
    assert sorted(seen) == sorted({(r.applicant_id, r.business_no) for r in requests})
    # With as many slots as the busiest person has interviews, everyone fits (König) ...
    pairs_asked = {(r.applicant_id, r.business_no) for r in requests}
    busiest = max(
        [
            *Counter(a for a, _ in pairs_asked).values(),
            *Counter(b for _, b in pairs_asked).values(),
        ],
        default=0,
    )
    if busiest <= len(slots):
        assert day.unscheduled == ()
    # ... and a pair is left out only when the employer's or the candidate's day is full.
    for left in day.unscheduled:
        busy = {i.slot for i in day.interviews if left.business_no == i.business_no} | {
            i.slot for i in day.interviews if left.applicant_id == i.applicant_id
        }
        assert busy == set(range(len(slots)))


def hire(business_no: str) -> EmploymentReported:
    return EmploymentReported(
        report_id="r-1",
        applicant_id="p-1",
        employer=Employer(business_no=business_no, name="서울철도부품"),
        job_title="철도차량 정비원",
        employment_type=EmploymentType.PERMANENT,
        start_date=date(2025, 3, 3),
        source="employment_insurance",
        reported_at=NOW,
    )


def test_a_hire_at_a_partner_employer_opens_its_linked_study_course() -> None:
    partner = RegisteredEmployer(
        "210-81-00001",
        "서울철도부품",
        StudyCourse("seoul-vocational-innovation-district", "railway-night", "철도 후학습 과정"),
    )
    opened = pathway_opened(confirm(hire("210-81-00001"), NOW), partner, NOW)
    assert opened is not None
    assert (opened.applicant_id, opened.course_id, opened.start_date) == (
        "p-1",
        "railway-night",
        date(2025, 3, 3),
    )


def test_a_hire_anywhere_else_opens_nothing() -> None:
    employment = confirm(hire("210-81-00002"), NOW)
    assert pathway_opened(employment, None, NOW) is None
    assert pathway_opened(employment, RegisteredEmployer("210-81-00002", "일반기업"), NOW) is None


def test_a_matching_day_s_hours_with_an_offset_are_refused_not_a_server_error() -> None:
    """Found by schemathesis: "00:36:31+23:12" reached the slot arithmetic and failed there."""
    with pytest.raises(ValidationError, match="without an offset"):
        MatchingDayIn.model_validate(
            {
                "matching_day_id": "x",
                "day": "2025-10-01",
                "closes": "00:36:31+23:12",
                "employers": ["1"],
            }
        )
