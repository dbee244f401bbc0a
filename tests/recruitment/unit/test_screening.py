"""The screening engine: all rules evaluated, checked codes recorded, score and priority grounds."""

from datetime import UTC, datetime
from typing import Any

import pytest

from services.recruitment.domain import PriorityGround, WrongCall, screen_application
from shared.clock import SEOUL
from tests.recruitment.unit.builders import make_application, make_call

COMPANION_RULES = [
    {"kind": "age", "min": 18},
    {"kind": "residency", "sido": "서울특별시"},
    {"kind": "employment_status", "allowed": ["unemployed"]},
    {"kind": "unemployment_benefit"},
]
COMPANION_SCORING = [
    {"kind": "income_category", "points": {"basic_livelihood": 10, "near_poor": 7}},
    {"kind": "household_head", "points": 5},
    {"kind": "national_merit", "points": 5},
]


def test_every_rule_is_evaluated_and_every_failure_reported() -> None:
    call = make_call(eligibility=COMPANION_RULES)
    application = make_application(
        birth_date="2010-01-01",
        address={"sido": "경기도", "sigungu": "군포시"},
        employment_status="employed",
        unemployment_benefit={"start": "2025-06-01", "end": "2025-09-30"},
    )
    screening = screen_application(call, application)
    assert not screening.eligible
    assert [f.code for f in screening.failed_rules] == [
        "age.below_minimum",
        "residency.outside_sido",
        "employment_status.not_allowed",
        "unemployment_benefit.receiving_on_start_date",
    ]
    assert screening.score is None


def test_a_passed_screening_records_the_rules_it_checked() -> None:
    screening = screen_application(make_call(eligibility=COMPANION_RULES), make_application())
    assert screening.eligible
    assert screening.checked_rules == (
        "application_window",
        "age",
        "residency",
        "employment_status",
        "unemployment_benefit",
    )


@pytest.mark.parametrize(
    ("submitted_at", "codes"),
    [
        (datetime(2025, 5, 7, 8, 59, 59, tzinfo=SEOUL), ["application_window.not_yet_open"]),
        (datetime(2025, 5, 7, 9, 0, tzinfo=SEOUL), []),
        (datetime(2025, 5, 16, 18, 0, tzinfo=SEOUL), []),
        (datetime(2025, 5, 16, 18, 0, 1, tzinfo=SEOUL), ["application_window.closed"]),
    ],
    ids=[
        "a second before the window opens is refused",
        "the moment the window opens is accepted",
        "the closing minute itself is accepted",
        "a second after closing is refused",
    ],
)
def test_the_application_window(submitted_at: datetime, codes: list[str]) -> None:
    screening = screen_application(make_call(), make_application(submitted_at=submitted_at))
    assert [f.code for f in screening.failed_rules] == codes


def test_the_window_sentence_names_the_window() -> None:
    late = make_application(submitted_at=datetime(2025, 5, 17, 9, 0, tzinfo=SEOUL))
    [failure] = screen_application(make_call(), late).failed_rules
    assert failure.message == (
        "모집 기간(2025-05-07 09:00 ~ 2025-05-16 18:00)이 지난 뒤 접수된 신청은 받을 수 없습니다."
    )


@pytest.mark.parametrize(
    ("submitted_at", "codes"),
    [
        (datetime(2025, 5, 12, 12, 0, tzinfo=SEOUL), []),
        (datetime(2025, 5, 12, 12, 0, 1, tzinfo=SEOUL), ["application_window.closed"]),
        (datetime(2025, 5, 16, 17, 0, tzinfo=SEOUL), ["application_window.closed"]),
    ],
    ids=[
        "submitted the moment the operator closed is taken",
        "a second after an early close is refused",
        "inside the announced window but after the early close is refused",
    ],
)
def test_a_call_closed_early_takes_nothing_submitted_after(
    submitted_at: datetime, codes: list[str]
) -> None:
    call = make_call(status="open").close(datetime(2025, 5, 12, 12, 0, tzinfo=SEOUL))
    screening = screen_application(call, make_application(submitted_at=submitted_at))
    assert [f.code for f in screening.failed_rules] == codes


def test_the_early_close_sentence_names_when_the_call_closed() -> None:
    call = make_call(status="open").close(datetime(2025, 5, 12, 3, 0, tzinfo=UTC))
    late = make_application(submitted_at=datetime(2025, 5, 13, 9, 0, tzinfo=SEOUL))
    [failure] = screen_application(call, late).failed_rules
    assert failure.message == (
        "모집이 2025-05-12 12:00에 조기 마감되어 그 뒤에 접수된 신청은 받을 수 없습니다."
    )


def test_closing_after_the_window_changes_nothing_for_what_was_on_time() -> None:
    call = make_call(status="open").close(datetime(2025, 5, 20, 9, 0, tzinfo=SEOUL))
    on_time = make_application(submitted_at=datetime(2025, 5, 16, 18, 0, tzinfo=SEOUL))
    assert screen_application(call, on_time).eligible


def test_only_a_closed_call_records_when_it_closed() -> None:
    with pytest.raises(ValueError, match="only a closed call has closed_at"):
        make_call(status="open", closed_at="2025-05-12T12:00:00+09:00")


def test_a_training_call_speaks_of_the_course_start() -> None:
    call = make_call(program_kind="training", eligibility=[{"kind": "age", "min": 15}])
    [failure] = screen_application(call, make_application(birth_date="2012-01-01")).failed_rules
    assert failure.message.startswith("교육 시작일(2025-07-01) 기준 만 15세 이상인 분만")


def test_an_application_for_another_call_is_a_bug_in_the_caller() -> None:
    with pytest.raises(WrongCall):
        screen_application(make_call(), make_application(call_id="another-call"))


@pytest.mark.parametrize(
    ("household", "single_person_counts", "points"),
    [
        ({"is_head": True, "single_person": False}, True, 5.0),
        ({"is_head": True, "single_person": True}, True, 5.0),
        ({"is_head": False, "single_person": True}, True, 5.0),
        ({"is_head": True, "single_person": True}, False, 0.0),
        ({"is_head": False, "single_person": False}, True, 0.0),
    ],
    ids=[
        "the head of a family household gets the household-head bonus",
        "a single-person household head gets the household-head bonus (2025 change)",
        "a one-person household counts as headed by its member",
        "a single-person household head got nothing under the pre-2025 rule",
        "a household member who is not its head gets nothing",
    ],
)
def test_household_head_bonus(
    household: dict[str, bool], single_person_counts: bool, points: float
) -> None:
    rule = {"kind": "household_head", "points": 5, "single_person_counts": single_person_counts}
    screening = screen_application(make_call(scoring=[rule]), make_application(household=household))
    assert screening.score == points


@pytest.mark.parametrize(
    ("person", "score", "codes"),
    [
        ({}, 0.0, []),
        ({"income_category": "basic_livelihood"}, 10.0, ["income_category.basic_livelihood"]),
        ({"income_category": "near_poor"}, 7.0, ["income_category.near_poor"]),
        ({"national_merit": True}, 5.0, ["national_merit"]),
        (
            {
                "income_category": "basic_livelihood",
                "national_merit": True,
                "household": {"is_head": True, "single_person": True},
            },
            20.0,
            ["income_category.basic_livelihood", "household_head", "national_merit"],
        ),
    ],
    ids=[
        "no bonus for a general applicant",
        "basic livelihood recipients get 10",
        "the near-poor get 7",
        "persons of national merit get 5",
        "bonuses add up and each is kept to explain the score",
    ],
)
def test_bonus_points_are_data(person: dict[str, Any], score: float, codes: list[str]) -> None:
    call = make_call(scoring=COMPANION_SCORING)
    screening = screen_application(call, make_application(**person))
    assert screening.score == score
    assert [bonus.code for bonus in screening.bonuses] == codes


@pytest.mark.parametrize(
    ("birth_date", "score"),
    [("2005-07-02", 0.0), ("2005-07-01", 3.0), ("1985-07-02", 3.0), ("1985-07-01", 0.0)],
    ids=[
        "the day before turning 20 earns no age-band points",
        "turning 20 on the start date earns the age-band points",
        "the last day at 39 earns the age-band points",
        "turning 40 on the start date earns none",
    ],
)
def test_age_band_bonus(birth_date: str, score: float) -> None:
    call = make_call(scoring=[{"kind": "age_band", "min": 20, "max": 39, "points": 3}])
    assert screen_application(call, make_application(birth_date=birth_date)).score == score


@pytest.mark.parametrize(
    ("person", "grounds"),
    [
        ({}, ()),
        ({"income_category": "basic_livelihood"}, (PriorityGround.BASIC_LIVELIHOOD,)),
        (
            {"income_category": "near_poor", "national_merit": True},
            (PriorityGround.NEAR_POOR, PriorityGround.NATIONAL_MERIT),
        ),
    ],
    ids=[
        "a general applicant has no priority ground",
        "a basic livelihood recipient has one",
        "a near-poor person of national merit has two",
    ],
)
def test_priority_grounds(person: dict[str, Any], grounds: tuple[PriorityGround, ...]) -> None:
    track = {"share": 0.3, "grounds": ["basic_livelihood", "near_poor", "national_merit"]}
    screening = screen_application(make_call(priority_track=track), make_application(**person))
    assert screening.priority_grounds == grounds


def test_an_ineligible_applicant_is_neither_scored_nor_given_priority() -> None:
    call = make_call(
        eligibility=[{"kind": "residency", "sido": "서울특별시"}],
        scoring=COMPANION_SCORING,
        priority_track={"share": 0.3, "grounds": ["basic_livelihood"]},
    )
    application = make_application(
        income_category="basic_livelihood", address={"sido": "인천광역시", "sigungu": "부평구"}
    )
    screening = screen_application(call, application)
    assert (screening.score, screening.bonuses, screening.priority_grounds) == (None, (), ())


def test_the_screened_event_carries_every_failure_and_the_call() -> None:
    call = make_call(eligibility=COMPANION_RULES)
    application = make_application(employment_status="employed")
    screened_at = datetime(2025, 5, 12, 9, 30, 1, tzinfo=SEOUL)
    event = screen_application(call, application).as_event(call, screened_at)
    assert event.model_dump(mode="json") == {
        "application_id": "app-1",
        "call_id": call.id,
        "applicant_id": "person-app-1",
        "program_id": "companion-jobs",
        "call_title": "2025년 하반기 서울 동행일자리 참여자 모집",
        "eligible": False,
        "failed_rules": [
            {
                "code": "employment_status.not_allowed",
                "message": "실업 상태인 분만 신청하실 수 있습니다."
                " 신청서의 고용 상태는 ‘재직’입니다.",
            }
        ],
        "checked_rules": [
            "application_window",
            "age",
            "residency",
            "employment_status",
            "unemployment_benefit",
        ],
        "score": None,
        "screened_at": "2025-05-12T09:30:01+09:00",
    }
