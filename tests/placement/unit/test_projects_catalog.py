"""The public-job projects shipped as data: they fit the recruitment calls they fill."""

from pathlib import Path

import pytest
import yaml

from services.placement.app import load_projects
from services.placement.domain.projects import CatalogError, parse_projects
from tests.placement.unit.builders import make_call, project

RECRUITMENT_CATALOG = Path(__file__).parents[3] / "services" / "recruitment" / "catalog"


def recruitment_calls() -> dict[str, dict[str, object]]:
    calls: dict[str, dict[str, object]] = {}
    for path in RECRUITMENT_CATALOG.glob("*.yaml"):
        document = yaml.safe_load(path.read_text("utf-8"))
        if document["program"]["kind"] == "public_job":
            for call in document["calls"]:
                calls[call["id"]] = call
    return calls


def test_every_public_job_call_of_recruitment_has_projects_for_exactly_its_quota() -> None:
    catalog = load_projects()
    calls = recruitment_calls()
    assert {c.call_id for c in catalog.calls} == set(calls)
    for call in catalog.calls:
        assert call.positions == calls[call.call_id]["quota"], call.call_id
        assert call.term.start == calls[call.call_id]["start_date"], call.call_id
        assert call.term.end == calls[call.call_id]["end_date"], call.call_id


def test_companion_jobs_offer_the_five_fields_places_and_attractive_jobs_its_tracks() -> None:
    catalog = load_projects()
    companion = {c.category: c.positions for c in catalog.calls if c.program_id == "companion-jobs"}
    assert companion == {
        "돌봄·건강": 1_904,
        "경제": 1_162,
        "사회안전": 4_068,
        "디지털": 1_312,
        "기후환경": 4_534,
    }
    attractive: dict[str, int] = {}
    for call in catalog.calls:
        if call.program_id == "attractive-jobs":
            attractive[call.category] = attractive.get(call.category, 0) + call.positions
    assert attractive == {
        "공공형 약자동행형": 524,
        "공공형 경력형성형": 984,
        "민간형 민간기업 맞춤형": 1_000,
        "민간형 협회·단체 협력형": 700,
        "외국인 유학생 시범사업": 100,
    }


def test_the_second_half_term_is_the_sources_1_july_to_20_december() -> None:
    call = load_projects().call("companion-2025h2-climate-environment")
    assert call is not None
    assert (call.term.start.isoformat(), call.term.end.isoformat()) == ("2025-07-01", "2025-12-20")


def test_a_project_may_work_fewer_hours_than_its_program() -> None:
    call = make_call(project("library-helper", 5, pay={"hours_per_day": 4}))
    pay = call.pay_of(call.projects[0])
    assert (pay.hours_per_day, pay.hourly_wage_krw, pay.monthly_paid_hours) == (4, 10_030, 104)


def test_a_catalog_with_a_project_listed_twice_is_refused_with_where() -> None:
    document = {
        "program": {
            "id": "companion-jobs",
            "name": "서울 동행일자리",
            "pay": {"hourly_wage_krw": 10_030, "hours_per_day": 6, "days_per_week": 5},
        },
        "calls": [
            {
                "call_id": "c-1",
                "category": "경제",
                "term": {"start": "2025-07-01", "end": "2025-12-20"},
                "projects": [project("same", 1), project("same", 2)],
            }
        ],
    }
    with pytest.raises(CatalogError, match=r"(?s)call c-1:.*duplicate project ids: same"):
        parse_projects([document])
