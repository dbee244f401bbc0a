"""Every eligibility rule of the brief, at its boundaries, through the one screening engine."""

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.recruitment.domain import SupportingFacts, age_on, screen_application
from shared.contracts.recruitment import FailedRule
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


VETERAN_YOUTH = {**YOUTH, "veteran_extension": {"extends_by": "service_period", "cap_months": 36}}
VETERAN_CALL = make_call(eligibility=[VETERAN_YOUTH])
DISCHARGED = "2010-06-30"
AGED_40 = "1985-03-02"  # 40 years and 3 months on the start date
# With 21 months of service the start date counts as 2023-10-01: born after 1983-10-01 is in.
TURNS_41_9_MONTHS_ON_START = "1983-10-01"
# With 3 years counted the start date counts as 2022-07-01: born after 1982-07-01 is in.
TURNS_43_ON_START = "1982-07-01"


def veteran_screening(
    birth_date: str | date,
    service_months: int | None,
    discharged_on: str | None = DISCHARGED,
    facts: SupportingFacts | None = None,
) -> tuple[FailedRule, ...]:
    application = make_application(
        birth_date=birth_date,
        veteran_discharged_on=discharged_on,
        military_service_months=service_months,
    )
    return screen_application(VETERAN_CALL, application, facts).failed_rules


def eligible(birth_date: str | date, service_months: int | None, **other: Any) -> bool:
    return not veteran_screening(birth_date, service_months, **other)


@pytest.mark.parametrize(
    ("birth_date", "is_eligible"),
    [
        ("1985-07-02", True),
        ("1985-07-01", True),
        ("1983-10-03", True),
        ("1983-10-02", True),
        (TURNS_41_9_MONTHS_ON_START, False),
        ("1983-09-30", False),
    ],
    ids=[
        "turning 40 the day after the start date is within the plain ceiling",
        "turning 40 on the start date is within the extended ceiling",
        "turning 41 years 9 months two days after the start date is in",
        "turning 41 years 9 months the day after the start date is in: the last day",
        "turning 41 years 9 months on the start date is a day too many",
        "having turned 41 years 9 months the day before the start date is out",
    ],
)
def test_21_months_of_service_raise_a_39_ceiling_by_exactly_21_months(
    birth_date: str, is_eligible: bool
) -> None:
    assert eligible(birth_date, 21) is is_eligible


def day_of_turning(birth_date: date, months: int) -> date:
    """The day one has lived `months` full months: the birth day of the month that many months
    on, or the 1st of the month after when that month lacks the day (민법 제160조)."""
    year, month = divmod(birth_date.year * 12 + birth_date.month - 1 + months, 12)
    try:
        return date(year, month + 1, birth_date.day)
    except ValueError:  # no such day in that month
        return date(year + (month == 11), (month + 1) % 12 + 1, 1)


@given(
    st.dates(min_value=date(1979, 1, 1), max_value=date(1987, 12, 31)),
    st.integers(min_value=0, max_value=36),
)
def test_a_veteran_is_eligible_until_turning_40_years_plus_the_service_and_not_a_day_after(
    birth_date: date, service_months: int
) -> None:
    turns_too_old = day_of_turning(birth_date, 40 * 12 + service_months)
    assert eligible(birth_date, service_months) is (turns_too_old > START)


@pytest.mark.parametrize(
    ("birth_date", "service_months", "is_eligible"),
    [
        ("1982-07-02", 36, True),
        (TURNS_43_ON_START, 36, False),
        ("1982-07-02", 48, True),
        (TURNS_43_ON_START, 48, False),
        (TURNS_43_ON_START, 600, False),
    ],
    ids=[
        "3 years of service admit the day before turning 43",
        "3 years of service do not admit turning 43 on the start date",
        "4 years of service also admit the day before turning 43",
        "4 years of service are capped at 3: turning 43 on the start date is out",
        "50 years of service are capped at 3 as well",
    ],
)
def test_service_is_counted_up_to_3_years(
    birth_date: str, service_months: int, is_eligible: bool
) -> None:
    assert eligible(birth_date, service_months) is is_eligible


@given(
    st.dates(min_value=date(1979, 1, 1), max_value=date(1987, 12, 31)),
    st.integers(min_value=36, max_value=600),
)
def test_any_service_beyond_3_years_counts_as_exactly_3_years(
    birth_date: date, service_months: int
) -> None:
    assert eligible(birth_date, service_months) is eligible(birth_date, 36)


@given(
    st.dates(min_value=date(1979, 1, 1), max_value=date(1987, 12, 31)),
    st.integers(min_value=0, max_value=600),
    st.integers(min_value=0, max_value=600),
)
def test_a_longer_service_never_lowers_the_ceiling(
    birth_date: date, some_months: int, other_months: int
) -> None:
    shorter, longer = sorted((some_months, other_months))
    assert not eligible(birth_date, shorter) or eligible(birth_date, longer)


@pytest.mark.parametrize(
    ("discharged_on", "service_months", "is_eligible"),
    [
        (DISCHARGED, None, False),
        (DISCHARGED, 0, False),
        (DISCHARGED, 3, False),
        (DISCHARGED, 4, True),
        ("2025-07-01", 21, True),
        ("2025-07-02", 21, False),
        (None, 21, False),
    ],
    ids=[
        "a veteran whose service length is unknown gets no extension",
        "no service, no extension",
        "3 months of service do not admit a veteran of 40 years and 3 months",
        "4 months of service do",
        "discharge on the start date counts",
        "discharge after the start date does not count yet",
        "a non-veteran gets no extension for service months given",
    ],
)
def test_who_gets_the_veteran_extension(
    discharged_on: str | None, service_months: int | None, is_eligible: bool
) -> None:
    assert eligible(AGED_40, service_months, discharged_on=discharged_on) is is_eligible


@pytest.mark.parametrize(
    ("documented", "stated", "is_eligible"),
    [
        (36, None, True),
        (36, 0, True),
        (0, 36, False),
        (None, 36, True),
    ],
    ids=[
        "a documented service length counts when the applicant gives none",
        "a documented service length wins over a shorter one given",
        "a documented service length wins over a longer one given",
        "without a document the length the applicant gives counts",
    ],
)
def test_a_documented_service_length_takes_precedence(
    documented: int | None, stated: int | None, is_eligible: bool
) -> None:
    facts = SupportingFacts(military_service_months=documented)
    assert eligible("1983-03-02", stated, facts=facts) is is_eligible


def test_a_veteran_without_service_length_is_told_how_to_get_the_extension() -> None:
    [failure] = veteran_screening(AGED_40, None)
    assert failure.code == "age.above_maximum"
    assert failure.message == (
        "근무 시작일(2025-07-01) 기준 만 39세 이하인 분만 신청하실 수 있습니다."
        " 신청인께서는 이날 만 40세입니다. 제대군인은 복무기간만큼 상한이 최대 3년"
        " 연장되니, 병적증명서 등으로 복무기간을 알려 주세요."
    )


def test_a_veteran_over_the_raised_ceiling_is_told_the_ceiling_in_years_and_months() -> None:
    [failure] = veteran_screening(TURNS_41_9_MONTHS_ON_START, 21)
    assert failure.code == "age.above_maximum"
    assert failure.message == (
        "근무 시작일(2025-07-01) 기준 만 41세 9개월 미만인 분만 신청하실 수 있습니다."
        " 신청인께서는 이날 만 41세 9개월입니다. 만 39세 이하인 상한을 제대군인 복무기간"
        " 21개월만큼 연장했습니다."
    )


def test_a_veteran_over_the_capped_ceiling_is_told_only_3_years_counted() -> None:
    [failure] = veteran_screening(TURNS_43_ON_START, 48)
    assert failure.message == (
        "근무 시작일(2025-07-01) 기준 만 42세 이하인 분만 신청하실 수 있습니다."
        " 신청인께서는 이날 만 43세입니다. 만 39세 이하인 상한을 제대군인 복무기간"
        " 48개월 중 최대 3년만큼 연장했습니다."
    )


def test_a_veteran_whose_service_earns_no_extension_is_told_so() -> None:
    [failure] = veteran_screening(AGED_40, 0)
    assert failure.message.endswith(
        "신청인께서는 이날 만 40세입니다. 제대군인 복무기간 0개월로는 상한이 연장되지 않습니다."
    )


def test_a_non_veteran_over_the_ceiling_hears_nothing_about_service() -> None:
    [failure] = veteran_screening(AGED_40, 21, discharged_on=None)
    assert failure.message == (
        "근무 시작일(2025-07-01) 기준 만 39세 이하인 분만 신청하실 수 있습니다."
        " 신청인께서는 이날 만 40세입니다."
    )


@pytest.mark.parametrize(
    ("fields", "parsed"),
    [({}, None), ({"military_service_months": None}, None), ({"military_service_months": 21}, 21)],
    ids=["absent", "null", "21 months"],
)
def test_the_service_length_is_optional_in_the_contract(
    fields: dict[str, Any], parsed: int | None
) -> None:
    assert make_application(**fields).applicant.military_service_months == parsed


@pytest.mark.parametrize("months", [-1, 601, "스물한 달"])
def test_an_impossible_service_length_is_refused(months: object) -> None:
    with pytest.raises(ValidationError, match="military_service_months"):
        make_application(military_service_months=months)


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
