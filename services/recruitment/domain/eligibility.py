"""Who may apply to a call: eligibility rules as data.

A rule spec is a pydantic model discriminated on `kind`, so one shape serves as the catalog YAML
schema, the operator API schema and the thing the screening engine evaluates. Every rule checks
one condition; when the applicant misses it the rule answers with a stable code (for systems and
statistics) and a polite Korean sentence carrying the concrete values (for the citizen).

Veteran age extension (제대군인 응시연령 상한 연장)
    The published contract only carries `veteran_discharged_on`, not the length of service, and
    the extension depends on that length. So the length comes from `SupportingFacts` (filled from
    supporting documents such as a 병적증명서, or a partner system) and, when it is unknown, from
    the rule's `assumed_service_months` (a call-level assumption written in the catalog). Without
    either, a veteran gets no extension and the rejection sentence says how to get it.
    The extension table is data too; its default is the statute, 제대군인지원에 관한 법률
    제16조: service under 1 year extends the ceiling by 1 year, 1 to under 2 years by 2, 2 years
    or more by 3. A call that means "as many years as served, at most 3" writes that table
    instead. A veteran counts once discharged on or before the rule's reference date.
"""

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


class ServiceBracket(Spec):
    """From this many months of military service on, the age ceiling rises by `extra_years`."""

    service_months_from: int = Field(ge=0)
    extra_years: int = Field(ge=0)


STATUTORY_SERVICE_BRACKETS = (  # 제대군인지원에 관한 법률 제16조
    ServiceBracket(service_months_from=0, extra_years=1),
    ServiceBracket(service_months_from=12, extra_years=2),
    ServiceBracket(service_months_from=24, extra_years=3),
)


class VeteranExtension(Spec):
    brackets: tuple[ServiceBracket, ...] = STATUTORY_SERVICE_BRACKETS
    assumed_service_months: int | None = Field(
        default=None,
        ge=0,
        description="service length used when no document gives it; null = no extension then",
    )

    @model_validator(mode="after")
    def _ascending(self) -> Self:
        starts = [b.service_months_from for b in self.brackets]
        years = [b.extra_years for b in self.brackets]
        if not self.brackets or starts != sorted(set(starts)) or years != sorted(years):
            raise ValueError("brackets must be non-empty and ascend in months and years")
        return self

    @property
    def max_extra_years(self) -> int:
        return self.brackets[-1].extra_years

    def years_for(self, service_months: int) -> int:
        earned = [b.extra_years for b in self.brackets if b.service_months_from <= service_months]
        return earned[-1] if earned else 0


class Ceiling(NamedTuple):
    """An applicant's upper age bound, and for a veteran how it came about."""

    age: int
    veteran_cap: int | None = None  # set for a discharged veteran under an extending rule
    service_months: int | None = None
    service_assumed: bool = False

    def explained(self, maximum: int) -> str:
        """The sentence a rejected veteran needs; empty for everyone else."""
        if self.veteran_cap is None:
            return ""
        if self.service_months is None:
            return (
                f" 제대군인은 복무기간에 따라 상한이 최대 {self.veteran_cap}년 연장되니,"
                " 복무기간을 확인할 수 있는 병적증명서를 제출해 주세요."
            )
        if self.age == maximum:
            return f" 제대군인 복무기간 {self.service_months}개월로는 상한이 연장되지 않습니다."
        raised = f"상한을 만 {maximum}세에서 만 {self.age}세로 연장했습니다."
        if self.service_assumed:
            return (
                f" 제대군인 복무기간이 확인되지 않아 {self.service_months}개월로 보고 {raised}"
                " 복무기간이 더 길었다면 병적증명서를 제출해 주세요."
            )
        return f" 제대군인 복무기간 {self.service_months}개월을 반영해 {raised}"


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
        if self.max is None:
            return None
        ceiling = self._ceiling(self.max, applicant, day, facts)
        if age <= ceiling.age:
            return None
        return FailedRule(
            code="age.above_maximum",
            message=f"{dates.describe(self.as_of)} 기준 만 {ceiling.age}세 이하인 분만 신청하실"
            f" 수 있습니다. 신청인께서는 이날 만 {age}세입니다.{ceiling.explained(self.max)}",
        )

    def _ceiling(
        self, maximum: int, applicant: Applicant, day: date, facts: SupportingFacts
    ) -> Ceiling:
        extension = self.veteran_extension
        if extension is None or not _is_discharged_by(applicant, day):
            return Ceiling(maximum)
        if facts.military_service_months is not None:
            months, assumed = facts.military_service_months, False
        elif extension.assumed_service_months is not None:
            months, assumed = extension.assumed_service_months, True
        else:
            return Ceiling(maximum, veteran_cap=extension.max_extra_years)
        raised = maximum + extension.years_for(months)
        return Ceiling(raised, extension.max_extra_years, months, assumed)


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
