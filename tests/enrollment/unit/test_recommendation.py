"""After a one-day class, the regular course it leads to, and where to apply."""

from datetime import datetime

from services.enrollment.domain.cohort import Cohort
from services.enrollment.domain.recommendation import recommend
from shared.clock import SEOUL
from tests.enrollment.unit.builders import make_cohort

DONGBU = {
    "id": "dongbu",
    "name": "동부기술교육원",
    "address": "서울 강동구 고덕로 183",
    "district": "강동구",
}
TASTER = make_cohort(
    id="taster",
    course={
        "id": "one-day-korean-cooking",
        "name": "한식 조리 실습 원데이 클래스",
        "field": "cooking",
        "leads_to": {
            "program_id": "technical-training-institutes",
            "course_id": "global-cooking",
            "course_name": "글로벌조리",
        },
    },
    start_date="2025-07-15",
    end_date="2025-07-15",
    sessions=1,
)
AFTER_THE_CLASS = datetime(2025, 7, 15, 18, 0, tzinfo=SEOUL)


def regular(id_: str, *, campus: dict[str, str] | None = None, opens: str, closes: str) -> Cohort:
    changes = {"campus": campus} if campus else {}
    return make_cohort(
        id=id_,
        call={"id": f"{id_}-call", "opens_at": opens, "closes_at": closes},
        start_date="2025-09-01",
        end_date="2026-02-27",
        **changes,
    )


def test_korean_cooking_recommends_global_cooking_whose_call_is_open_at_the_same_campus() -> None:
    open_here = regular(
        "jungbu-open", opens="2025-07-01T09:00:00+09:00", closes="2025-08-01T18:00:00+09:00"
    )
    open_there = regular(
        "dongbu-open",
        campus=DONGBU,
        opens="2025-07-01T09:00:00+09:00",
        closes="2025-08-01T18:00:00+09:00",
    )
    upcoming_here = regular(
        "jungbu-upcoming", opens="2025-07-20T09:00:00+09:00", closes="2025-08-10T18:00:00+09:00"
    )
    found = recommend(TASTER, [upcoming_here, open_there, open_here, TASTER], AFTER_THE_CLASS)
    assert found is not None
    assert (found.course_name, found.cohort_id, found.call_id) == (
        "글로벌조리",
        "jungbu-open",
        "jungbu-open-call",
    )
    found = recommend(TASTER, [upcoming_here, open_there], AFTER_THE_CLASS)
    assert found is not None and found.cohort_id == "dongbu-open"  # open beats upcoming


def test_with_no_cohort_to_join_the_course_is_still_recommended() -> None:
    closed = regular(
        "closed", opens="2025-06-01T09:00:00+09:00", closes="2025-06-20T18:00:00+09:00"
    )
    found = recommend(TASTER, [closed], AFTER_THE_CLASS)
    assert found is not None
    assert (found.course_name, found.cohort_id, found.call_id) == ("글로벌조리", None, None)


def test_a_regular_course_recommends_nothing() -> None:
    assert recommend(make_cohort(), [TASTER], AFTER_THE_CLASS) is None
