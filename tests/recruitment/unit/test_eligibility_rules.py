"""Every eligibility rule of the brief, at its boundaries, through the one screening engine."""

from datetime import date
from typing import Any

import pytest

from services.recruitment.domain import SupportingFacts, age_on, screen_application
from tests.recruitment.unit.builders import make_application, make_call

START = date(2025, 7, 1)  # the test call's start date: every rule below is judged on it


def failed_codes(
    rules: list[dict[str, Any]], facts: SupportingFacts | None = None, **person: Any
) -> list[str]:
    screening = screen_application(make_call(eligibility=rules), make_application(**person), facts)
    return [failure.code for failure in screening.failed_rules]


@pytest.mark.parametrize(
    ("birth_date", "on", "age"),
    [
        (date(2007, 7, 2), START, 17),
        (date(2007, 7, 1), START, 18),
        (date(2007, 6, 30), START, 18),
        (date(2004, 2, 29), date(2025, 2, 28), 20),
        (date(2004, 2, 29), date(2025, 3, 1), 21),
        (date(2004, 2, 29), date(2028, 2, 29), 24),
    ],
    ids=[
        "the day before the 18th birthday one is 17",
        "on the 18th birthday one is 18",
        "the day after the 18th birthday one is 18",
        "a leap-day baby is not yet 21 on 28 February of a common year",
        "a leap-day baby turns 21 on 1 March of a common year",
        "a leap-day baby turns 24 on 29 February of a leap year",
    ],
)
def test_age_is_counted_in_full_years(birth_date: date, on: date, age: int) -> None:
    assert age_on(birth_date, on) == age


YOUTH = {"kind": "age", "min": 18, "max": 39}


@pytest.mark.parametrize(
    ("birth_date", "codes"),
    [
        ("2007-07-02", ["age.below_minimum"]),
        ("2007-07-01", []),
        ("2007-06-30", []),
        ("1985-07-02", []),
        ("1985-07-01", ["age.above_maximum"]),
        ("1985-06-30", ["age.above_maximum"]),
    ],
    ids=[
        "turning 18 the day after the start date is too young",
        "turning 18 on the start date is old enough",
        "having turned 18 the day before the start date is old enough",
        "turning 40 the day after the start date is still 39 and young enough",
        "turning 40 on the start date is too old",
        "having turned 40 the day before the start date is too old",
    ],
)
def test_youth_age_band_18_to_39_on_the_start_date(birth_date: str, codes: list[str]) -> None:
    assert failed_codes([YOUTH], birth_date=birth_date) == codes


MID_CAREER = {"kind": "age", "min": 40}


@pytest.mark.parametrize(
    ("birth_date", "codes"),
    [
        ("1985-07-02", ["age.below_minimum"]),
        ("1985-07-01", []),
        ("1960-01-01", []),
        ("1935-03-02", []),
    ],
    ids=[
        "a 39-year-old is too young for mid-career projects",
        "turning 40 on the start date qualifies",
        "a 65-year-old qualifies since the upper limit was abolished",
        "a 90-year-old qualifies since there is no upper limit",
    ],
)
def test_mid_career_is_40_and_over_with_no_upper_limit(birth_date: str, codes: list[str]) -> None:
    assert failed_codes([MID_CAREER], birth_date=birth_date) == codes


STATUTORY = {**YOUTH, "veteran_extension": {}}
PROPORTIONAL = {
    **YOUTH,
    "veteran_extension": {
        "brackets": [
            {"service_months_from": 12, "extra_years": 1},
            {"service_months_from": 24, "extra_years": 2},
            {"service_months_from": 36, "extra_years": 3},
        ]
    },
}
AGED_40 = "1985-03-02"
AGED_41 = "1984-03-02"
AGED_42 = "1983-03-02"
AGED_43 = "1982-03-02"


@pytest.mark.parametrize(
    ("rule", "service_months", "birth_date", "codes"),
    [
        (STATUTORY, 11, AGED_40, []),
        (STATUTORY, 11, AGED_41, ["age.above_maximum"]),
        (STATUTORY, 18, AGED_41, []),
        (STATUTORY, 18, AGED_42, ["age.above_maximum"]),
        (STATUTORY, 24, AGED_42, []),
        (STATUTORY, 24, AGED_43, ["age.above_maximum"]),
        (STATUTORY, 48, AGED_42, []),
        (STATUTORY, 48, AGED_43, ["age.above_maximum"]),
        (PROPORTIONAL, 24, AGED_41, []),
        (PROPORTIONAL, 24, AGED_42, ["age.above_maximum"]),
        (PROPORTIONAL, 48, AGED_42, []),
        (PROPORTIONAL, 48, AGED_43, ["age.above_maximum"]),
    ],
    ids=[
        "statute: under 1 year of service raises 39 to 40",
        "statute: under 1 year of service does not reach 41",
        "statute: 18 months of service raises 39 to 41",
        "statute: 18 months of service does not reach 42",
        "statute: 2 years of service raises 39 to 42",
        "statute: 2 years of service does not reach 43",
        "statute: 4 years of service is capped at 42",
        "statute: 4 years of service still fails at 43",
        "per full year: 2 years of service raises 39 to 41",
        "per full year: 2 years of service fails at 42",
        "per full year: 4 years of service is capped at 42",
        "per full year: 4 years of service fails at 43",
    ],
)
def test_discharged_veterans_get_the_ceiling_raised_by_their_service(
    rule: dict[str, Any], service_months: int, birth_date: str, codes: list[str]
) -> None:
    facts = SupportingFacts(military_service_months=service_months)
    person = {"birth_date": birth_date, "veteran_discharged_on": "2010-06-30"}
    assert failed_codes([rule], facts, **person) == codes


@pytest.mark.parametrize(
    ("assumed_months", "discharged_on", "codes"),
    [
        (None, "2010-06-30", ["age.above_maximum"]),
        (18, "2010-06-30", []),
        (18, "2025-07-01", []),
        (18, "2025-07-02", ["age.above_maximum"]),
        (18, None, ["age.above_maximum"]),
    ],
    ids=[
        "a veteran with no known service length gets no extension",
        "a veteran gets the call's assumed service length when none is documented",
        "discharge on the start date counts",
        "discharge after the start date does not count yet",
        "a non-veteran gets no extension",
    ],
)
def test_veteran_service_length_when_no_document_gives_it(
    assumed_months: int | None, discharged_on: str | None, codes: list[str]
) -> None:
    rule = {**YOUTH, "veteran_extension": {"assumed_service_months": assumed_months}}
    person = {"birth_date": AGED_41, "veteran_discharged_on": discharged_on}
    assert failed_codes([rule], None, **person) == codes


def test_a_veteran_without_service_length_is_told_how_to_get_the_extension() -> None:
    rule = {**YOUTH, "veteran_extension": {}}
    application = make_application(birth_date=AGED_40, veteran_discharged_on="2010-06-30")
    [failure] = screen_application(make_call(eligibility=[rule]), application).failed_rules
    assert failure.message == (
        "근무 시작일(2025-07-01) 기준 만 39세 이하인 분만 신청하실 수 있습니다."
        " 신청인께서는 이날 만 40세입니다. 제대군인은 복무기간에 따라 상한이 최대 3년"
        " 연장되니, 복무기간을 확인할 수 있는 병적증명서를 제출해 주세요."
    )


def test_a_veteran_over_the_raised_ceiling_is_told_the_service_counted() -> None:
    rule = {**YOUTH, "veteran_extension": {}}
    application = make_application(birth_date=AGED_42, veteran_discharged_on="2010-06-30")
    facts = SupportingFacts(military_service_months=18)
    [failure] = screen_application(make_call(eligibility=[rule]), application, facts).failed_rules
    assert failure.message == (
        "근무 시작일(2025-07-01) 기준 만 41세 이하인 분만 신청하실 수 있습니다."
        " 신청인께서는 이날 만 42세입니다. 제대군인 복무기간 18개월을 반영해 상한을"
        " 만 39세에서 만 41세로 연장했습니다."
    )


def test_a_veteran_whose_service_earns_no_extension_is_told_so() -> None:
    application = make_application(birth_date=AGED_40, veteran_discharged_on="2010-06-30")
    facts = SupportingFacts(military_service_months=8)
    call = make_call(eligibility=[PROPORTIONAL])
    [failure] = screen_application(call, application, facts).failed_rules
    assert failure.message.endswith("제대군인 복무기간 8개월로는 상한이 연장되지 않습니다.")


def test_a_veteran_judged_on_the_assumed_service_is_invited_to_document_more() -> None:
    rule = {**YOUTH, "veteran_extension": {"assumed_service_months": 18}}
    application = make_application(birth_date=AGED_42, veteran_discharged_on="2010-06-30")
    [failure] = screen_application(make_call(eligibility=[rule]), application).failed_rules
    assert failure.message.endswith(
        "제대군인 복무기간이 확인되지 않아 18개월로 보고 상한을 만 39세에서 만 41세로"
        " 연장했습니다. 복무기간이 더 길었다면 병적증명서를 제출해 주세요."
    )


BENEFIT = {"kind": "unemployment_benefit", "not_receiving_on": "start_date"}


@pytest.mark.parametrize(
    ("benefit", "codes"),
    [
        (None, []),
        ({"start": "2025-01-02", "end": "2025-06-30"}, []),
        (
            {"start": "2025-01-02", "end": "2025-07-01"},
            ["unemployment_benefit.receiving_on_start_date"],
        ),
        (
            {"start": "2025-07-01", "end": "2025-12-31"},
            ["unemployment_benefit.receiving_on_start_date"],
        ),
        ({"start": "2025-07-02", "end": "2025-12-31"}, []),
    ],
    ids=[
        "no benefit passes",
        "a benefit ending the day before the start date passes",
        "a benefit ending on the start date fails",
        "a benefit starting on the start date fails",
        "a benefit starting the day after the start date passes",
    ],
)
def test_unemployment_benefit_is_judged_on_the_work_start_date(
    benefit: dict[str, str] | None, codes: list[str]
) -> None:
    assert failed_codes([BENEFIT], unemployment_benefit=benefit) == codes


def test_before_2025_the_benefit_was_judged_on_the_announcement_date() -> None:
    rule = {"kind": "unemployment_benefit", "not_receiving_on": "window_opens"}
    benefit = {"start": "2025-01-02", "end": "2025-06-30"}
    assert failed_codes([rule], unemployment_benefit=benefit) == [
        "unemployment_benefit.receiving_on_window_opens"
    ]


def test_the_benefit_sentence_names_the_start_date_and_the_benefit_period() -> None:
    application = make_application(
        unemployment_benefit={"start": "2025-01-02", "end": "2025-07-31"}
    )
    [failure] = screen_application(make_call(eligibility=[BENEFIT]), application).failed_rules
    assert failure.message == (
        "근무 시작일(2025-07-01) 기준 실업급여 수급 중이신 경우 신청하실 수 없습니다."
        " 신청서의 수급 기간은 2025-01-02~2025-07-31입니다."
    )


@pytest.mark.parametrize(
    ("rule", "address", "codes"),
    [
        ({"kind": "residency", "sido": "서울특별시"}, ("서울특별시", "금천구"), []),
        (
            {"kind": "residency", "sido": "서울특별시"},
            ("경기도", "군포시"),
            ["residency.outside_sido"],
        ),
        (
            {"kind": "residency", "sido": "서울특별시", "sigungu": ["금천구"]},
            ("서울특별시", "금천구"),
            [],
        ),
        (
            {"kind": "residency", "sido": "서울특별시", "sigungu": ["금천구"]},
            ("서울특별시", "강남구"),
            ["residency.outside_sigungu"],
        ),
    ],
    ids=[
        "a Seoul resident passes",
        "a Gyeonggi resident fails the Seoul residency rule",
        "a Geumcheon resident passes a Geumcheon-only rule",
        "a Gangnam resident fails a Geumcheon-only rule",
    ],
)
def test_residency(rule: dict[str, Any], address: tuple[str, str], codes: list[str]) -> None:
    sido, sigungu = address
    assert failed_codes([rule], address={"sido": sido, "sigungu": sigungu}) == codes


def test_the_residency_sentence_names_the_required_and_the_given_address() -> None:
    application = make_application(address={"sido": "경기도", "sigungu": "군포시"})
    rule = {"kind": "residency", "sido": "서울특별시"}
    [failure] = screen_application(make_call(eligibility=[rule]), application).failed_rules
    assert failure.message == (
        "서울특별시에 주소를 둔 분만 신청하실 수 있습니다. 신청서의 주소는 경기도 군포시입니다."
    )


@pytest.mark.parametrize(
    ("allowed", "status", "codes"),
    [
        (["unemployed"], "unemployed", []),
        (["unemployed"], "employed", ["employment_status.not_allowed"]),
        (["unemployed"], "self_employed", ["employment_status.not_allowed"]),
        (["student", "unemployed"], "student", []),
    ],
    ids=[
        "the unemployed may apply to an unemployed-only call",
        "an employee may not apply to an unemployed-only call",
        "the self-employed may not apply to an unemployed-only call",
        "a student may apply where students are allowed",
    ],
)
def test_employment_status(allowed: list[str], status: str, codes: list[str]) -> None:
    rule = {"kind": "employment_status", "allowed": allowed}
    assert failed_codes([rule], employment_status=status) == codes


def test_the_employment_sentence_names_the_allowed_and_the_given_status() -> None:
    rule = {"kind": "employment_status", "allowed": ["unemployed"]}
    application = make_application(employment_status="employed")
    [failure] = screen_application(make_call(eligibility=[rule]), application).failed_rules
    assert (
        failure.message
        == "실업 상태인 분만 신청하실 수 있습니다. 신청서의 고용 상태는 ‘재직’입니다."
    )


STUDENT_PILOT = {"kind": "nationality", "citizenship": "foreign", "student_visa_required": True}


@pytest.mark.parametrize(
    ("rule", "nationality", "student_visa", "codes"),
    [
        (STUDENT_PILOT, "VN", True, []),
        (STUDENT_PILOT, "VN", False, ["nationality.student_visa_required"]),
        (STUDENT_PILOT, "KR", False, ["nationality.foreign_only"]),
        ({"kind": "nationality", "citizenship": "korean"}, "KR", False, []),
        (
            {"kind": "nationality", "citizenship": "korean"},
            "US",
            False,
            ["nationality.korean_only"],
        ),
    ],
    ids=[
        "a foreign student with a student visa may join the pilot",
        "a foreigner without a student visa may not join the pilot",
        "a Korean national may not join the international-student pilot",
        "a Korean national passes a Korean-only rule",
        "a foreign national fails a Korean-only rule",
    ],
)
def test_nationality(
    rule: dict[str, Any], nationality: str, student_visa: bool, codes: list[str]
) -> None:
    assert failed_codes([rule], nationality=nationality, student_visa=student_visa) == codes
