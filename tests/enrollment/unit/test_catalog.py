"""The seed catalog of cohorts: every file loads, the brief's numbers hold, and every cohort a
recruitment call fills agrees with that call."""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.enrollment.domain.catalog import CatalogError, parse_catalog
from services.enrollment.domain.cohort import Cohort
from services.recruitment.domain import parse_catalog as parse_recruitment_catalog
from tests.enrollment.unit.builders import make_cohort

ROOT = Path(__file__).parents[3]
FILES = sorted((ROOT / "services" / "enrollment" / "catalog").glob("*.yaml"))
RECRUITMENT_FILES = sorted((ROOT / "services" / "recruitment" / "catalog").glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def cohorts() -> list[Cohort]:
    return parse_catalog(load(path) for path in FILES)


def of(cohorts: list[Cohort], program_id: str) -> list[Cohort]:
    return [c for c in cohorts if c.program_id == program_id]


@pytest.mark.parametrize("path", FILES, ids=[f"{p.name} parses on its own" for p in FILES])
def test_every_catalog_file_parses_on_its_own(path: Path) -> None:
    assert parse_catalog([load(path)])


def test_the_catalog_holds_the_training_programs_of_the_brief(cohorts: list[Cohort]) -> None:
    assert {c.program_name for c in cohorts} == {
        "청년취업사관학교",
        "서울시 기술교육원",
        "금천구 창업 및 직업전환학교",
        "안산 고등 직업교육 거점지구",
    }
    assert {c.attendance_rate for c in cohorts} == {Decimal("0.8")}  # 80%, as in Korean training


def test_youth_job_academy_has_the_three_ai_campuses_with_about_300_seats(
    cohorts: list[Cohort],
) -> None:
    academy = of(cohorts, "youth-job-academy")
    ai = [c for c in academy if c.campus.id in ("mapo", "junggu", "jongno")]
    assert sum(c.capacity for c in ai) == 300
    assert {c.campus.district for c in ai} == {"마포구", "중구", "종로구"}
    assert {c.campus.id for c in academy} >= {"songpa", "seocho", "yangcheon", "jungnang", "guro"}
    assert all(c.ages.min == 15 and c.ages.max is None for c in academy)


def test_each_technical_institute_splits_its_yearly_trainees_into_courses(
    cohorts: list[Cohort],
) -> None:
    regular = [c for c in of(cohorts, "technical-training-institutes") if c.sessions > 1]
    seats = Counter[str]()
    for cohort in regular:
        seats[cohort.campus.id] += cohort.capacity
    assert seats == {"jungbu": 1748, "nambu": 974, "dongbu": 1720, "bukbu": 1758}
    assert {c.campus.address for c in regular} == {
        "서울 용산구 한남대로 136",
        "경기 군포시 고산로 589",
        "서울 강동구 고덕로 183",
        "서울 노원구 덕릉로70가길 81",
    }


def test_the_one_day_classes_take_200_people_and_lead_to_the_regular_courses(
    cohorts: list[Cohort],
) -> None:
    tasters = [c for c in cohorts if c.course.leads_to is not None]
    assert sum(c.capacity for c in tasters) == 200
    assert {c.start_date.month for c in tasters} == {2, 7}
    assert {c.campus.id for c in tasters} == {"jungbu", "dongbu"}
    assert all(c.sessions == 1 and c.ages.min == 50 for c in tasters)
    links = {c.course.name: c.course.leads_to.course_name for c in tasters if c.course.leads_to}
    assert links == {
        "한식 조리 실습 원데이 클래스": "글로벌조리",
        "제과·제빵 실습 원데이 클래스": "카페베이커리",
        "생성형AI를 통한 상세 페이지 제작 실습 원데이 클래스": "온라인쇼핑몰창업",
    }


def test_geumcheon_runs_the_security_guard_and_care_worker_courses(cohorts: list[Cohort]) -> None:
    school = of(cohorts, "geumcheon-career-change-school")
    assert sorted(c.course.name for c in school) == ["경비원 교육 과정", "요양보호사 교육 과정"]
    assert {c.campus.district for c in school} == {"금천구"}


def test_the_ansan_hub_retrains_employed_workers_without_a_call_yet(cohorts: list[Cohort]) -> None:
    hub = of(cohorts, "ansan-higher-vocational-hub")
    assert "산업체 재직자 재교육 과정" in {c.course.name for c in hub}
    assert all(c.call is None and c.campus.district == "안산시" for c in hub)


def test_every_cohort_filled_by_a_seeded_call_agrees_with_the_call(cohorts: list[Cohort]) -> None:
    calls = {c.id: c for c in parse_recruitment_catalog(load(p) for p in RECRUITMENT_FILES).calls}
    called = [c for c in cohorts if c.call is not None]
    assert len(called) == 24
    for cohort in called:
        assert cohort.call is not None
        call = calls[cohort.call.id]
        assert (cohort.program_id, cohort.campus.id, cohort.course.id) == (
            call.program_id,
            call.campus_id,
            call.course_id,
        ), cohort.id
        assert (cohort.call.opens_at, cohort.call.closes_at) == (
            call.window.opens_at,
            call.window.closes_at,
        ), cohort.id
        assert (cohort.start_date, cohort.end_date) == (call.start_date, call.end_date), cohort.id
        assert cohort.capacity == call.quota, cohort.id


def document(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "program": {"id": "p", "name": "프로그램"},
        "campuses": [{"id": "c", "name": "캠퍼스", "address": "서울 금천구", "district": "금천구"}],
        "courses": [{"id": "k", "name": "과정", "field": "care"}],
        "cohorts": [
            {
                "id": "p-1",
                "campus": "c",
                "course": "k",
                "call": {
                    "id": "call-1",
                    "opens_at": "2025-03-01T09:00:00+09:00",
                    "closes_at": "2025-03-10T18:00:00+09:00",
                },
                "start_date": "2025-04-01",
                "end_date": "2025-04-30",
                "sessions": 20,
                "capacity": 20,
            }
        ],
    }
    return base | changes


def test_a_cohort_inherits_the_rules_of_its_program_unless_it_sets_its_own() -> None:
    program = {"id": "p", "name": "프로그램", "attendance_rate": 0.9, "offer_hours": 48}
    [cohort] = parse_catalog([document(program=program)])
    assert (float(cohort.attendance_rate), cohort.offer_hours, cohort.late_entry_days) == (
        0.9,
        48,
        7,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"campuses": []}, "unknown campus or course"),
        (
            {
                "campuses": [
                    {"id": "c", "name": "캠퍼스", "address": "부산", "district": "해운대구"}
                ]
            },
            "unknown district",
        ),
        ({"courses": [{"id": "k", "name": "과정", "field": "care", "leads_to": "x"}]}, "leads to"),
        ({"courses": [{"id": "k", "name": "과정", "field": "astrology"}]}, "field"),
        ({"program": {"id": "p", "name": "프로그램", "quota": 3}}, "unknown keys"),
    ],
    ids=[
        "a cohort at an unknown campus",
        "a campus in a district the catalog cannot place",
        "a taster leading to an unknown course",
        "a course in an unknown field",
        "a misspelt program rule",
    ],
)
def test_a_broken_catalog_is_refused_with_the_reason(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_catalog([document(**changes)])


def test_two_cohorts_cannot_share_an_id_or_a_call() -> None:
    with pytest.raises(CatalogError, match="duplicate cohort ids: p-1"):
        parse_catalog([document(), document()])
    second = document()
    second["cohorts"] = [second["cohorts"][0] | {"id": "p-2"}]
    with pytest.raises(CatalogError, match="calls filling more than one cohort: call-1"):
        parse_catalog([document(), second])


@pytest.mark.parametrize(
    ("start", "term"),
    [(date(2025, 1, 2), "2025-H1"), (date(2025, 6, 30), "2025-H1"), (date(2025, 7, 1), "2025-H2")],
)
def test_a_cohort_s_term_is_the_half_year_it_starts_in(start: date, term: str) -> None:
    cohort = make_cohort(start_date=start, end_date=start + timedelta(days=90))
    assert cohort.term == term
