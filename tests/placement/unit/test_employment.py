"""Which reports confirm a job by themselves, and when two reports are one job."""

from datetime import date, datetime
from typing import Any

import pytest

from services.placement.domain.employment import confirm, confirms, employment_id
from shared.clock import SEOUL
from shared.contracts.placement import EmploymentReported

NOW = datetime(2025, 9, 3, 10, tzinfo=SEOUL)


def report(**overrides: Any) -> EmploymentReported:
    data: dict[str, Any] = {
        "report_id": "r-1",
        "applicant_id": "p-1",
        "employer": {"business_no": "123-45-67890", "name": "서울상사"},
        "job_title": "웹 개발자",
        "employment_type": "permanent",
        "start_date": "2025-09-01",
        "source": "employment_insurance",
        "reported_at": "2025-09-03T10:00:00+09:00",
    }
    return EmploymentReported.model_validate(data | overrides)


@pytest.mark.parametrize(
    ("source", "confirmed"),
    [("employment_insurance", True), ("employer", False), ("self_report", False)],
    ids=[
        "an employment-insurance record confirms at once",
        "an employer's report waits",
        "a citizen's own report waits",
    ],
)
def test_only_employment_insurance_confirms_by_itself(source: str, confirmed: bool) -> None:
    assert confirms(report(source=source)) is confirmed


def test_reports_of_the_same_person_employer_and_start_date_are_one_employment() -> None:
    same = [
        report(report_id="r-1", source="self_report", job_title="개발자"),
        report(report_id="r-2", source="employer", employment_type="fixed_term"),
        report(report_id="r-3", source="employment_insurance"),
    ]
    assert len({employment_id(r) for r in same}) == 1
    others = [
        report(applicant_id="p-2"),
        report(employer={"business_no": "999-99-99999", "name": "서울상사"}),
        report(start_date=date(2025, 9, 2)),
    ]
    assert len({employment_id(r) for r in [same[0], *others]}) == 4


def test_a_verified_report_names_its_verifier_and_is_confirmed_by_itself() -> None:
    employment = confirm(report(source="employer", report_id="r-9"), NOW, verified_by="op-7")
    assert (employment.confirmed_by, employment.verified_by) == ("r-9", "op-7")
    assert employment.as_event().report_id == "r-9"
