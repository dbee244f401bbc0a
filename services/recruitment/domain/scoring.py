"""Bonus points (가점) as data: how a ranked call orders its eligible applicants.

An applicant's score is the sum of every bonus they earn; every bonus awarded is kept with the
screening, so a score can always be explained line by line.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from services.recruitment.domain.dates import KeyDates, ReferenceDate, age_on
from services.recruitment.domain.spec import Spec
from shared.contracts.recruitment import Applicant, IncomeCategory


@dataclass(frozen=True, slots=True)
class AwardedBonus:
    code: str  # e.g. "household_head", "income_category.basic_livelihood"
    points: float


class HouseholdHeadBonus(Spec):
    """세대주 가점. A one-person household is headed by its only member, so `single_person`
    counts as head even if `is_head` was left false; since 2025 (동행일자리) such a 단독 세대주
    earns the bonus too, which `single_person_counts: false` turns off for older rules."""

    kind: Literal["household_head"] = "household_head"
    points: float = Field(gt=0)
    single_person_counts: bool = True

    def award(self, applicant: Applicant, dates: KeyDates) -> AwardedBonus | None:
        household = applicant.household
        if not (household.is_head or household.single_person):
            return None
        if household.single_person and not self.single_person_counts:
            return None
        return AwardedBonus(code="household_head", points=self.points)


class IncomeCategoryBonus(Spec):
    """E.g. 기초생활수급자 +10, 차상위계층 +7; a category not listed earns nothing."""

    kind: Literal["income_category"] = "income_category"
    points: dict[IncomeCategory, float] = Field(min_length=1)

    def award(self, applicant: Applicant, dates: KeyDates) -> AwardedBonus | None:
        points = self.points.get(applicant.income_category)
        if not points:
            return None
        return AwardedBonus(
            code=f"income_category.{applicant.income_category.value}", points=points
        )


class NationalMeritBonus(Spec):
    """국가유공자 가점."""

    kind: Literal["national_merit"] = "national_merit"
    points: float = Field(gt=0)

    def award(self, applicant: Applicant, dates: KeyDates) -> AwardedBonus | None:
        if not applicant.national_merit:
            return None
        return AwardedBonus(code="national_merit", points=self.points)


class AgeBandBonus(Spec):
    """Points for 만 `min`–`max`세 on the reference date (`max: null` = no upper limit)."""

    kind: Literal["age_band"] = "age_band"
    min: int = Field(ge=0, le=150)
    max: int | None = Field(default=None, ge=0, le=150)
    as_of: ReferenceDate = ReferenceDate.START_DATE
    points: float = Field(gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        return self

    def award(self, applicant: Applicant, dates: KeyDates) -> AwardedBonus | None:
        age = age_on(applicant.birth_date, dates.on(self.as_of))
        if age < self.min or (self.max is not None and age > self.max):
            return None
        band = f"{self.min}_{self.max}" if self.max is not None else f"{self.min}_plus"
        return AwardedBonus(code=f"age_band.{band}", points=self.points)


Bonus = Annotated[
    HouseholdHeadBonus | IncomeCategoryBonus | NationalMeritBonus | AgeBandBonus,
    Field(discriminator="kind"),
]


def award_bonuses(
    bonuses: Iterable[Bonus], applicant: Applicant, dates: KeyDates
) -> tuple[AwardedBonus, ...]:
    awarded = (bonus.award(applicant, dates) for bonus in bonuses)
    return tuple(bonus for bonus in awarded if bonus is not None)
