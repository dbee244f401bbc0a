"""The recruitment domain, pure: no I/O, no clock, no randomness but the seed it is given.

apply → screen → select: `screen_application` judges one application against its call's rules,
`select_applicants` turns a closed call's screenings into selected, waitlisted and rejected.
Programs and calls are data (`parse_catalog`), evaluated by that one engine.
"""

from services.recruitment.domain.call import (
    ApplicationWindow,
    Call,
    CallStatus,
    IllegalTransition,
    Pay,
    PriorityGround,
    PriorityTrack,
    SelectionMethod,
)
from services.recruitment.domain.catalog import Catalog, CatalogError, parse_catalog
from services.recruitment.domain.dates import KeyDates, ReferenceDate, age_on
from services.recruitment.domain.eligibility import (
    AgeRule,
    EligibilityRule,
    EmploymentStatusRule,
    NationalityRule,
    ResidencyRule,
    SupportingFacts,
    UnemploymentBenefitRule,
    VeteranExtension,
)
from services.recruitment.domain.program import Campus, Course, JobType, Program, ProgramKind
from services.recruitment.domain.scoring import (
    AgeBandBonus,
    AwardedBonus,
    Bonus,
    HouseholdHeadBonus,
    IncomeCategoryBonus,
    NationalMeritBonus,
)
from services.recruitment.domain.screening import Screening, WrongCall, screen_application
from services.recruitment.domain.selection import (
    NOT_SELECTED,
    DuplicateApplication,
    SeedRequired,
    SelectionDecision,
    SelectionError,
    SelectionResult,
    select_applicants,
)

__all__ = [
    "NOT_SELECTED",
    "AgeBandBonus",
    "AgeRule",
    "ApplicationWindow",
    "AwardedBonus",
    "Bonus",
    "Call",
    "CallStatus",
    "Campus",
    "Catalog",
    "CatalogError",
    "Course",
    "DuplicateApplication",
    "EligibilityRule",
    "EmploymentStatusRule",
    "HouseholdHeadBonus",
    "IllegalTransition",
    "IncomeCategoryBonus",
    "JobType",
    "KeyDates",
    "NationalMeritBonus",
    "NationalityRule",
    "Pay",
    "PriorityGround",
    "PriorityTrack",
    "Program",
    "ProgramKind",
    "ReferenceDate",
    "ResidencyRule",
    "Screening",
    "SeedRequired",
    "SelectionDecision",
    "SelectionError",
    "SelectionMethod",
    "SelectionResult",
    "SupportingFacts",
    "UnemploymentBenefitRule",
    "VeteranExtension",
    "WrongCall",
    "age_on",
    "parse_catalog",
    "screen_application",
    "select_applicants",
]
