"""One catalog to find a course: by field, age group and start month, nearest first."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.enrollment.domain.cohort import AgeGroup, CallStatus, Cohort, TrainingField
from services.enrollment.domain.districts import DISTRICTS, UnknownDistrict, distance_km
from services.enrollment.domain.search import CatalogQuery, cohort_for_pathway, search
from shared.clock import SEOUL
from tests.enrollment.unit.builders import make_cohort

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=SEOUL)


def at(campus: str, district: str, **changes: Any) -> Cohort:
    return make_cohort(
        id=f"{campus}-cohort",
        campus={"id": campus, "name": campus, "address": f"서울 {district}", "district": district},
        call={
            "id": f"{campus}-call",
            "opens_at": "2025-05-20T09:00:00+09:00",
            "closes_at": "2025-06-20T18:00:00+09:00",
        },
        **changes,
    )


CATALOG = [
    at("jungbu", "용산구"),
    at("dongbu", "강동구"),
    at("bukbu", "노원구"),
    at("nambu", "군포시", course={"id": "auto", "name": "자동차정비", "field": "automotive"}),
    at("geumcheon", "금천구", ages={"min": 40}, start_date="2025-10-01", end_date="2025-10-31"),
]


def ids(found: list[Any]) -> list[str]:
    return [f.cohort.campus.id for f in found]


def test_a_citizen_in_geumcheon_finds_the_nearest_cohorts_first() -> None:
    found = search(CATALOG, CatalogQuery(district="금천구"), NOW)
    assert ids(found) == ["geumcheon", "nambu", "jungbu", "dongbu", "bukbu"]
    distances = [f.distance_km or 0.0 for f in found]
    assert distances[0] == 0.0
    assert distances == sorted(distances)


def test_a_citizen_in_nowon_finds_bukbu_first_and_nambu_in_gunpo_last() -> None:
    found = search(CATALOG, CatalogQuery(district="노원구"), NOW)
    assert ids(found)[0] == "bukbu"
    assert ids(found)[-1] == "nambu"


def test_filters_by_field_age_group_and_start_month() -> None:
    assert ids(search(CATALOG, CatalogQuery(field=TrainingField.AUTOMOTIVE), NOW)) == ["nambu"]
    youth = ids(search(CATALOG, CatalogQuery(age_group=AgeGroup.YOUTH), NOW))
    assert "geumcheon" not in youth and len(youth) == 4  # a 40+ course
    middle = ids(search(CATALOG, CatalogQuery(age_group=AgeGroup.MIDDLE_AGED), NOW))
    assert "geumcheon" in middle
    october = search(CATALOG, CatalogQuery(start_month=date(2025, 10, 1)), NOW)
    assert ids(october) == ["geumcheon"]


def test_only_cohorts_a_citizen_can_still_join_unless_asked_for_all() -> None:
    later = NOW + timedelta(days=25)  # calls closed on 20 June
    assert search(CATALOG, CatalogQuery(), later) == []
    every = search(CATALOG, CatalogQuery(include_closed=True), later)
    assert len(every) == 5
    assert {f.call_status for f in every} == {CallStatus.CLOSED}
    assert {f.call_status for f in search(CATALOG, CatalogQuery(), NOW)} == {CallStatus.OPEN}


def test_a_cohort_without_a_call_shows_it_is_not_announced_yet() -> None:
    [found] = search([make_cohort(call=None)], CatalogQuery(), NOW)
    assert found.call_status is CallStatus.NOT_ANNOUNCED


def test_an_unknown_district_is_an_error_not_a_guess() -> None:
    with pytest.raises(UnknownDistrict):
        search(CATALOG, CatalogQuery(district="해운대구"), NOW)


districts = st.sampled_from(sorted(DISTRICTS))


@given(districts, districts)
def test_distance_is_symmetric_zero_to_itself_and_within_the_region(a: str, b: str) -> None:
    assert distance_km(a, b) == pytest.approx(distance_km(b, a))
    assert distance_km(a, a) == 0.0
    assert 0.0 <= distance_km(a, b) < 60.0


def test_a_pathway_offers_the_next_cohort_of_its_course_in_its_program_not_one_begun() -> None:
    at = datetime(2025, 8, 1, 9, tzinfo=SEOUL)
    cooking = {"id": "global-cooking", "name": "글로벌조리", "field": "cooking"}

    def cohort(id_: str, start: date, **changes: Any) -> Cohort:
        return make_cohort(
            id=id_, start_date=start, end_date=start + timedelta(days=60), course=cooking, **changes
        )

    cohorts = [
        cohort("begun", date(2025, 7, 20)),
        cohort("later", date(2025, 10, 1)),
        cohort("next", date(2025, 9, 1)),
        cohort("other-program", date(2025, 8, 10), program_id="career-change"),
    ]
    found = cohort_for_pathway(cohorts, "technical-training-institutes", "global-cooking", at)
    assert found is not None and found.id == "next"
    assert cohort_for_pathway(cohorts, "technical-training-institutes", "baking", at) is None
