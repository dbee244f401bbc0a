"""The seed catalog: every YAML file loads, every call validates, and the brief's numbers hold."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.recruitment.domain import (
    AgeRule,
    Catalog,
    CatalogError,
    EmploymentStatusRule,
    NationalityRule,
    ProgramKind,
    UnemploymentBenefitRule,
    parse_catalog,
    screen_application,
)
from tests.recruitment.unit.builders import make_application

CATALOG_DIR = Path(__file__).parents[3] / "services" / "recruitment" / "catalog"
FILES = sorted(CATALOG_DIR.glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return parse_catalog(load(path) for path in FILES)


@pytest.mark.parametrize("path", FILES, ids=[f"{p.name} parses on its own" for p in FILES])
def test_every_catalog_file_parses_on_its_own(path: Path) -> None:
    assert parse_catalog([load(path)]).calls


def test_the_catalog_holds_the_programs_of_the_brief(catalog: Catalog) -> None:
    assert {p.name for p in catalog.programs} == {
        "청년취업사관학교",
        "서울 동행일자리",
        "서울 매력일자리",
        "서울시 기술교육원",
        "금천구 창업 및 직업전환학교",
    }


def test_every_call_can_screen_an_application(catalog: Catalog) -> None:
    for call in catalog.calls:
        opened = call.window.opens_at
        application = make_application(call_id=call.id, submitted_at=opened)
        assert screen_application(call, application).checked_rules[0] == "application_window"


def test_companion_jobs_second_half_2025(catalog: Catalog) -> None:
    calls = catalog.calls_of("companion-jobs")
    assert [c.quota for c in calls] == [1904, 1162, 4068, 1312, 4534]
    # the source's five fields add up to 12,980, not its stated total of 12,890 (see the YAML)
    for call in calls:
        assert call.window.closes_at.month == 5  # selected in May
        assert (call.start_date, call.end_date) == (date(2025, 7, 1), date(2025, 12, 20))
        assert call.pay is not None
        assert (call.pay.hourly_wage_krw, call.pay.hours_per_day) == (10030, 6)
        [benefit] = [r for r in call.eligibility if isinstance(r, UnemploymentBenefitRule)]
        assert benefit.not_receiving_on == "start_date"
        household = next(b for b in call.scoring if b.kind == "household_head")
        assert household.single_person_counts


def test_attractive_jobs_2025(catalog: Catalog) -> None:
    calls = {c.id: c for c in catalog.calls_of("attractive-jobs")}
    program = catalog.program("attractive-jobs")
    assert [j.headcount for j in program.job_types] == [524, 984, 1000, 700, 100]
    for call in calls.values():
        assert call.pay is not None
        assert (call.pay.hourly_wage_krw, call.pay.hours_per_day) == (11779, 8)
    youth = calls["attractive-2025-public-career-youth"]
    [age] = [r for r in youth.eligibility if isinstance(r, AgeRule)]
    assert (age.min, age.max) == (18, 39)
    assert age.veteran_extension is not None
    assert age.veteran_extension.extends_by == "service_period"
    assert 39 + age.veteran_extension.cap_months // 12 == 42
    [mid_career_age] = [
        r
        for r in calls["attractive-2025-public-career-mid-career"].eligibility
        if isinstance(r, AgeRule)
    ]
    assert (mid_career_age.min, mid_career_age.max) == (40, None)
    [employment] = [r for r in youth.eligibility if isinstance(r, EmploymentStatusRule)]
    assert employment.allowed == ("unemployed",)
    students = calls["attractive-2025-international-students"]
    assert students.quota == 100
    assert any(
        isinstance(r, NationalityRule) and r.student_visa_required for r in students.eligibility
    )


def test_technical_training_institutes(catalog: Catalog) -> None:
    program = catalog.program("technical-training-institutes")
    assert {c.name: c.yearly_trainees for c in program.campuses} == {
        "중부기술교육원": 1748,
        "남부기술교육원": 974,
        "동부기술교육원": 1720,
        "북부기술교육원": 1758,
    }
    regular = [c for c in catalog.calls_of(program.id) if c.priority_track is not None]
    assert regular and all(
        c.priority_track and c.priority_track.share == Decimal("0.3") for c in regular
    )
    links = {c.name: c.leads_to.course_id for c in program.courses if c.leads_to}
    assert links == {
        "한식 조리 실습 원데이 클래스": "global-cooking",
        "제과·제빵 실습 원데이 클래스": "cafe-bakery",
        "생성형AI를 통한 상세 페이지 제작 실습 원데이 클래스": "online-shopping-mall-startup",
    }
    one_day = [c for c in catalog.calls_of(program.id) if c.course_id and "one-day" in c.course_id]
    assert sum(c.quota for c in one_day) == 200
    assert {c.start_date.month for c in one_day} == {2, 7}


def test_youth_job_academy_campuses(catalog: Catalog) -> None:
    program = catalog.program("youth-job-academy")
    assert program.kind is ProgramKind.TRAINING
    assert {c.name for c in program.campuses if c.specialisation == "AI"} == {
        "마포 AI 특화캠퍼스",
        "중구 AI 특화캠퍼스",
        "종로 AI 특화캠퍼스",
    }
    openings = [c.opens_on.month for c in program.campuses if c.opens_on]
    assert openings == [5, 6, 8, 10, 12]


def test_geumcheon_career_change_courses(catalog: Catalog) -> None:
    names = {c.name for c in catalog.program("geumcheon-career-change-school").courses}
    assert names == {"경비원 교육 과정", "요양보호사 교육 과정"}


PROGRAM = {
    "id": "p",
    "name": "시험 사업",
    "kind": "training",
    "campuses": [{"id": "c", "name": "캠퍼스"}],
}
CALL = {
    "id": "call",
    "title": "시험 공고",
    "window": {"opens_at": "2025-03-03T09:00:00+09:00", "closes_at": "2025-03-14T18:00:00+09:00"},
    "start_date": "2025-04-01",
    "quota": 10,
    "selection_method": "first_come",
}


@pytest.mark.parametrize(
    ("documents", "problem"),
    [
        ([{"program": PROGRAM, "calls": [CALL | {"campus_id": "nowhere"}]}], "unknown campus"),
        ([{"program": PROGRAM, "calls": [CALL, CALL]}], "duplicate call ids"),
        ([{"program": PROGRAM}, {"program": PROGRAM}], "duplicate program ids"),
        ([{"program": PROGRAM, "calls": [CALL | {"program_kind": "public_job"}]}], "program_kind"),
        ([{"program": PROGRAM, "calls": [CALL | {"quota": -1}]}], "program p, call call"),
        ([{"program": PROGRAM, "calls": [], "extra": 1}], "expected keys"),
        (
            [
                {
                    "program": PROGRAM
                    | {
                        "courses": [
                            {
                                "id": "x",
                                "name": "맛보기",
                                "leads_to": {"program_id": "p", "course_id": "y"},
                            }
                        ]
                    }
                }
            ],
            "leads to an unknown course",
        ),
    ],
    ids=[
        "a call at an unknown campus",
        "two calls with one id",
        "two programs with one id",
        "a call contradicting its program's kind",
        "an invalid call, named in the error",
        "an unknown top-level key",
        "a taster leading to an unknown course",
    ],
)
def test_catalog_errors_name_the_problem(documents: list[dict[str, Any]], problem: str) -> None:
    with pytest.raises(CatalogError, match=problem):
        parse_catalog(documents)
