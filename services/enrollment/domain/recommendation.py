"""After a taster: the regular course it leads to (중장년 원데이 클래스 → 기술교육원 전문과정:
한식 조리 실습 → 글로벌조리, 제과·제빵 실습 → 카페베이커리, 생성형AI 상세 페이지 제작 실습 →
온라인쇼핑몰창업), and the cohort to apply to.

The best cohort is one still taking applications (call open), else one whose call is coming,
else one not announced yet; at the taster's own campus first, then the earliest start. With no
such cohort the course itself is still recommended, without a place to apply.
"""

from collections.abc import Iterable
from datetime import datetime

from shared.contracts.enrollment import CourseRecommendation

from .cohort import CallStatus, Cohort
from .search import joinable

_PREFERENCE = {CallStatus.OPEN: 0, CallStatus.UPCOMING: 1, CallStatus.NOT_ANNOUNCED: 2}


def recommend(
    taster: Cohort, cohorts: Iterable[Cohort], at: datetime
) -> CourseRecommendation | None:
    target = taster.course.leads_to
    if target is None:
        return None
    candidates = [
        c
        for c in cohorts
        if c.program_id == target.program_id and c.course.id == target.course_id and joinable(c, at)
    ]
    if not candidates:
        return CourseRecommendation(course_name=target.course_name)
    best = min(
        candidates,
        key=lambda c: (
            _PREFERENCE[c.call_status(at)],
            c.campus.id != taster.campus.id,
            c.start_date,
            c.id,
        ),
    )
    return CourseRecommendation(
        course_name=best.course.name,
        cohort_id=best.id,
        campus_name=best.campus.name,
        start_date=best.start_date,
        call_id=None if best.call is None else best.call.id,  # joinable: not closed
    )
