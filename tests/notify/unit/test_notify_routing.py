"""Which events reach citizens: every contract topic is decided, internal ones send nothing."""

import pytest

from services.notify.domain.catalog import CATALOG
from services.notify.domain.routing import ROUTES, SILENT_EVENTS, route_for
from shared.topics import InternalTopic, Topic


def test_every_topic_of_the_contract_and_the_services_is_either_routed_or_silent() -> None:
    assert set(ROUTES) | SILENT_EVENTS == {topic.value for topic in (*Topic, *InternalTopic)}
    assert not set(ROUTES) & SILENT_EVENTS


@pytest.mark.parametrize(
    "event_type",
    [
        "enrollment.cohort.filled",
        "notify.notification.sent",
        "notify.notification.failed",
        "placement.employment.reported",
        "recruitment.application.unheard_of",
    ],
)
def test_internal_and_unknown_events_send_nothing(event_type: str) -> None:
    assert route_for(event_type) is None


def test_a_withdrawal_is_confirmed_to_the_citizen() -> None:
    route = route_for("enrollment.enrollment.withdrawn")

    assert route is not None
    assert route.template == "enrollment_withdrawn"


def test_every_route_leads_to_templates_in_the_catalog() -> None:
    for route in ROUTES.values():
        assert route.template in CATALOG
        assert all(variant.template in CATALOG for variant in route.variants)


@pytest.mark.parametrize(
    ("eligible", "template"), [(True, "screening_passed"), (False, "screening_failed")]
)
def test_the_screening_result_picks_its_text(eligible: bool, template: str) -> None:
    route = route_for("recruitment.application.screened")

    assert route is not None
    assert route.template_for({"eligible": eligible}) == template


def test_a_public_job_assignment_replaces_the_course_confirmation() -> None:
    route = route_for("enrollment.enrollment.confirmed")

    assert route is not None
    assert route.template_for({"assignment": None}) == "enrollment_confirmed"
    assert route.template_for({"assignment": {"workplace": "금천구청"}}) == "public_job_assigned"


def test_only_the_seat_offer_is_urgent() -> None:
    assert {name for name, entry in CATALOG.items() if entry.urgent} == {"seat_offered"}


def test_a_public_job_assignment_reaches_the_citizen_with_workplace_and_pay() -> None:
    from datetime import date, datetime

    from services.notify.adapters.templates import default_library
    from services.notify.domain.catalog import template_context
    from shared.clock import SEOUL
    from shared.contracts.placement import PreferenceMatched, PublicJobAssigned, PublicJobTerms

    assigned = PublicJobAssigned(
        assignment_id="donghaeng/drain/7",
        application_id="A-1",
        applicant_id="P-1",
        call_id="donghaeng-2025-h2",
        program_id="companion-jobs",
        program_name="서울 동행일자리",
        category="사회안전",
        project_id="drain",
        course_name="빗물받이 관리자",
        assignment=PublicJobTerms(
            workplace="금천구청 치수과",
            workplace_address="서울 금천구 시흥대로73길 70",
            start_date=date(2025, 7, 1),
            end_date=date(2025, 12, 20),
            hours_per_day=6,
            days_per_week=5,
            hourly_wage_krw=10_030,
            monthly_paid_hours=156,
            monthly_pay_krw=1_769_990,
            first_month_pay_krw=1_769_990,
        ),
        preference=PreferenceMatched.DISTRICT,
        assigned_at=datetime(2025, 6, 10, 15, tzinfo=SEOUL),
    )
    route = route_for("placement.public-job.assigned")
    assert route is not None and route.payload is PublicJobAssigned
    name = route.template_for(assigned.model_dump())
    sms = default_library().render_sms(name, template_context(assigned, "홍길동"))
    assert "금천구청 치수과" in sms.text
    assert "1,769,990원" in sms.text


def test_a_finished_one_day_class_tells_the_citizen_of_the_regular_course_to_apply_to() -> None:
    from datetime import datetime

    from services.notify.adapters.templates import default_library
    from services.notify.domain.catalog import template_context
    from shared.clock import SEOUL
    from shared.contracts.enrollment import CourseRecommendation, EnrollmentCompleted

    completed = EnrollmentCompleted(
        enrollment_id="E-1",
        applicant_id="P-1",
        cohort_id="jungbu-oneday-korean-cooking-2025-07",
        program_name="기술교육원",
        course_name="한식 조리 실습 원데이 클래스",
        survey_url="https://jobs.seoul.example/survey/E-1",
        completed_at=datetime(2025, 7, 12, 17, tzinfo=SEOUL),
        recommended_course=CourseRecommendation(
            course_name="글로벌조리과", campus_name="중부기술교육원", call_id="jungbu-2026-1"
        ),
    )
    library, context = default_library(), template_context(completed, "윤미경")
    sms = library.render_sms("course_completed", context)
    email = library.render_email("course_completed", context)
    assert "글로벌조리과" in sms.text and "신청 가능" in sms.text
    assert "글로벌조리과" in email.text and "jungbu-2026-1" in email.text
    assert "글로벌조리과" in email.html
    no_recommendation = template_context(
        completed.model_copy(update={"recommended_course": None}), "윤미경"
    )
    assert "정규과정" not in library.render_sms("course_completed", no_recommendation).text
