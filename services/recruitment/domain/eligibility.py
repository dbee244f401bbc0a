"""Who may apply to a call: eligibility rules as data.

A rule spec is a pydantic model discriminated on `kind`, so one shape serves as the catalog YAML
schema, the operator API schema and the thing the screening engine evaluates. Every rule checks
one condition; when the applicant misses it the rule answers with a stable code (for systems and
statistics) and a polite Korean sentence carrying the concrete values (for the citizen).

Veteran age extension (제대군인 응시연령 상한 연장)
    The city's 2025 rule (서울 매력일자리: 청년 사업에 참여하는 제대군인의 연령기준을 최대 3년
    연장, 39세 → 42세) moves an age ceiling by exactly the service period, capped: a veteran
    discharged on or before the rule's reference date may apply while their age on (reference
    date − min(service months, cap)) is within the maximum. So 21 months of service at a 39
    ceiling admits an applicant up to the day before they turn 40 years and 21 months; 48
    months counts as 36. The rule's `veteran_extension` says so as data (`extends_by:
    service_period`, `cap_months: 36`), so the catalog shows what a call does.
    The service length is the applicant's `military_service_months` (in the contract since it
    gained that field); a value from `SupportingFacts` (a 병적증명서 or a partner system)
    takes precedence, being documented. Unknown length: no extension, and the rejection
    sentence tells the veteran that giving it can raise the ceiling. Nothing is assumed.
    The statutory bracket table (제대군인지원에 관한 법률 제16조: service under 1 year +1 year,
    under 2 years +2, longer +3) used to be the default. It governs public-sector hiring exams,
    which no call in the catalog is, and the city's rule counts the period itself, so the table
    is gone rather than kept as a second way that no call uses; a call that ever needs it gets
    another `extends_by` value.
"""

from calendar import monthrange
from datetime import date
from typing import Annotated, Literal, NamedTuple, Self

from pydantic import Field, model_validator

from services.recruitment.domain.dates import KeyDates, ReferenceDate, age_on
from services.recruitment.domain.spec import Spec
from shared.contracts.recruitment import Applicant, EmploymentStatus, FailedRule

KOREA = "KR"  # ISO 3166-1 alpha-2, as the contract spells nationality

EMPLOYMENT_STATUS_WORDS = {
    EmploymentStatus.UNEMPLOYED: "실업",
    EmploymentStatus.EMPLOYED: "재직",
    EmploymentStatus.SELF_EMPLOYED: "자영업",
    EmploymentStatus.STUDENT: "재학",
}


class SupportingFacts(Spec):
    """What supporting documents (증빙서류) or partner systems add to an application payload."""

    military_service_months: int | None = Field(default=None, ge=0, le=600)


class VeteranExtension(Spec):
    """How a discharged veteran's age ceiling rises: by the service period, at most `cap_months`."""

    extends_by: Literal["service_period"] = Field(
        description="service_period: the ceiling moves by exactly the months served"
    )
    cap_months: int = Field(ge=1, le=120, examples=[36])

    def months_for(self, service_months: int) -> int:
        return min(service_months, self.cap_months)


class TooOld(NamedTuple):
    """What an above-maximum sentence says: the ceiling, the applicant's age, and a note."""

    ceiling: str  # "만 39세 이하"
    age: str  # "만 40세"
    note: str = ""


class AgeRule(Spec):
    """만 `min`세 이상, 만 `max`세 이하 on the reference date; `max: null` = no upper limit."""

    kind: Literal["age"] = "age"
    min: int | None = Field(default=None, ge=0, le=150)
    max: int | None = Field(default=None, ge=0, le=150)
    as_of: ReferenceDate = ReferenceDate.START_DATE
    veteran_extension: VeteranExtension | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min is None and self.max is None:
            raise ValueError("an age rule needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        if self.veteran_extension is not None and self.max is None:
            raise ValueError("a veteran extension raises max, so max is required")
        return self

    def check(
        self, applicant: Applicant, dates: KeyDates, facts: SupportingFacts
    ) -> FailedRule | None:
        day = dates.on(self.as_of)
        age = age_on(applicant.birth_date, day)
        if self.min is not None and age < self.min:
            return FailedRule(
                code="age.below_minimum",
                message=f"{dates.describe(self.as_of)} 기준 만 {self.min}세 이상인 분만"
                f" 신청하실 수 있습니다. 신청인께서는 이날 만 {age}세입니다.",
            )
        if self.max is None or age <= self.max:
            return None
        plain = TooOld(ceiling=f"만 {self.max}세 이하", age=f"만 {age}세")
        too_old: TooOld | None = plain
        extension = self.veteran_extension
        if extension is not None and _is_discharged_by(applicant, day):
            months = facts.military_service_months
            if months is None:  # a documented length takes precedence over the applicant's word
                months = applicant.military_service_months
            too_old = _as_veteran(plain, self.max, extension, months, applicant.birth_date, day)
        if too_old is None:
            return None
        return FailedRule(
            code="age.above_maximum",
            message=f"{dates.describe(self.as_of)} 기준 {too_old.ceiling}인 분만 신청하실 수"
            f" 있습니다. 신청인께서는 이날 {too_old.age}입니다.{too_old.note}",
        )


def _as_veteran(
    plain: TooOld,
    maximum: int,
    extension: VeteranExtension,
    service_months: int | None,
    birth_date: date,
    day: date,
) -> TooOld | None:
    """A discharged veteran over `maximum` on `day`: None if the extension admits them, else
    `plain` (the sentence for anyone else) with a note, or with the raised ceiling."""
    if service_months is None:
        return plain._replace(
            note=f" 제대군인은 복무기간만큼 상한이 최대 {_period(extension.cap_months)}"
            " 연장되니, 병적증명서 등으로 복무기간을 알려 주세요."
        )
    extra = extension.months_for(service_months)
    if age_on(birth_date, _months_before(day, extra)) <= maximum:
        return None
    if extra == 0:
        return plain._replace(
            note=f" 제대군인 복무기간 {service_months}개월로는 상한이 연장되지 않습니다."
        )
    # Past the shifted date's ceiling, the applicant is past it counted in months as well: the
    # two differ only for a 29 February birthday, and there the shift is the kinder.
    counted = f"{service_months}개월"
    if extra < service_months:
        counted += f" 중 최대 {_period(extra)}"
    return TooOld(
        ceiling=_extended_ceiling(maximum, extra),
        age=_age_words(birth_date, day),
        note=f" 만 {maximum}세 이하인 상한을 제대군인 복무기간 {counted}만큼 연장했습니다.",
    )


def _months_before(day: date, months: int) -> date:
    """`day` moved back `months` calendar months; a day the month lacks becomes its last."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def _age_words(birth_date: date, day: date) -> str:
    """만 나이 in years and full months, e.g. "만 42세 3개월" (the month turns like the year)."""
    months = (day.year - birth_date.year) * 12 + day.month - birth_date.month
    years, rest = divmod(months - (day.day < birth_date.day), 12)
    return f"만 {years}세 {rest}개월" if rest else f"만 {years}세"


def _extended_ceiling(maximum: int, extra_months: int) -> str:
    """The ceiling 만 `maximum`세 이하 raised by `extra_months`, in words: 39 and 36 months give
    "만 42세 이하", 39 and 21 months "만 41세 9개월 미만" (not yet 41 years and 9 months)."""
    years, rest = divmod(extra_months, 12)
    if rest == 0:
        return f"만 {maximum + years}세 이하"
    return f"만 {maximum + 1 + years}세 {rest}개월 미만"


def _period(months: int) -> str:
    """36 → "3년", 21 → "1년 9개월", 8 → "8개월"."""
    years, rest = divmod(months, 12)
    if not years:
        return f"{rest}개월"
    return f"{years}년 {rest}개월" if rest else f"{years}년"


def _is_discharged_by(applicant: Applicant, day: date) -> bool:
    discharged = applicant.veteran_discharged_on
    return discharged is not None and discharged <= day


class ResidencyRule(Spec):
    """Registered address (주민등록 주소) in `sido`, and in one of `sigungu` when listed."""

    kind: Literal["residency"] = "residency"
    sido: str = Field(min_length=1, examples=["서울특별시"])
    sigungu: tuple[str, ...] = Field(default=(), description="empty = anywhere in the sido")

    def check(
        self, applicant: Applicant, dates: KeyDates, facts: SupportingFacts
    ) -> FailedRule | None:
        address = applicant.address
        if address.sido != self.sido:
            code, area = "residency.outside_sido", self.sido
        elif self.sigungu and address.sigungu not in self.sigungu:
            code, area = "residency.outside_sigungu", f"{self.sido} {'·'.join(self.sigungu)}"
        else:
            return None
        return FailedRule(
            code=code,
            message=f"{area}에 주소를 둔 분만 신청하실 수 있습니다."
            f" 신청서의 주소는 {address.sido} {address.sigungu}입니다.",
        )


class EmploymentStatusRule(Spec):
    kind: Literal["employment_status"] = "employment_status"
    allowed: tuple[EmploymentStatus, ...] = Field(min_length=1)

    def check(
        self, applicant: Applicant, dates: KeyDates, facts: SupportingFacts
    ) -> FailedRule | None:
        if applicant.employment_status in self.allowed:
            return None
        allowed = "·".join(EMPLOYMENT_STATUS_WORDS[status] for status in self.allowed)
        current = EMPLOYMENT_STATUS_WORDS[applicant.employment_status]
        return FailedRule(
            code="employment_status.not_allowed",
            message=(
                f"{allowed} 상태인 분만 신청하실 수 있습니다."
                f" 신청서의 고용 상태는 ‘{current}’입니다."
            ),
        )


class UnemploymentBenefitRule(Spec):
    """No unemployment benefit (실업급여) on the reference date. 2025 동행일자리 moved that date
    from the announcement to the work start (공고일 → 근무시작일), hence the default: a benefit
    ending the day before the start passes, one ending on the start date does not."""

    kind: Literal["unemployment_benefit"] = "unemployment_benefit"
    not_receiving_on: ReferenceDate = ReferenceDate.START_DATE

    def check(
        self, applicant: Applicant, dates: KeyDates, facts: SupportingFacts
    ) -> FailedRule | None:
        benefit = applicant.unemployment_benefit
        day = dates.on(self.not_receiving_on)
        if benefit is None or not benefit.start <= day <= benefit.end:
            return None
        return FailedRule(
            code=f"unemployment_benefit.receiving_on_{self.not_receiving_on.value}",
            message=(
                f"{dates.describe(self.not_receiving_on)} 기준 실업급여 수급 중이신 경우"
                f" 신청하실 수 없습니다. 신청서의 수급 기간은"
                f" {benefit.start.isoformat()}~{benefit.end.isoformat()}입니다."
            ),
        )


class NationalityRule(Spec):
    """Korean nationals only, or foreign nationals only (e.g. the 외국인 유학생 pilot, which also
    requires a student visa)."""

    kind: Literal["nationality"] = "nationality"
    citizenship: Literal["korean", "foreign"]
    student_visa_required: bool = False

    @model_validator(mode="after")
    def _visa_for_foreigners(self) -> Self:
        if self.student_visa_required and self.citizenship != "foreign":
            raise ValueError("a student visa can only be required of foreign nationals")
        return self

    def check(
        self, applicant: Applicant, dates: KeyDates, facts: SupportingFacts
    ) -> FailedRule | None:
        korean = applicant.nationality == KOREA
        if self.citizenship == "korean" and not korean:
            return FailedRule(
                code="nationality.korean_only",
                message="대한민국 국적인 분만 신청하실 수 있습니다."
                f" 신청서의 국적은 {applicant.nationality}입니다.",
            )
        if self.citizenship == "foreign" and korean:
            return FailedRule(
                code="nationality.foreign_only",
                message="외국 국적인 분만 신청하실 수 있습니다."
                " 신청서의 국적은 대한민국(KR)입니다.",
            )
        if self.student_visa_required and not applicant.student_visa:
            return FailedRule(
                code="nationality.student_visa_required",
                message=(
                    "유학 비자를 가진 외국인 유학생만 신청하실 수 있습니다."
                    " 신청서에 유학 비자 소지 여부가 ‘아니요’로 되어 있습니다."
                ),
            )
        return None


EligibilityRule = Annotated[
    AgeRule | ResidencyRule | EmploymentStatusRule | UnemploymentBenefitRule | NationalityRule,
    Field(discriminator="kind"),
]
