"""Public-job projects as data: which projects each recruitment call of a public-job program
fills, where they are, how many positions they have, and the terms they pay on.

One document (services/placement/catalog/*.yaml) per program:

    program: {id, name, pay: {hourly_wage_krw, hours_per_day, days_per_week, allowances}}
    calls:
      - call_id: the recruitment call whose selected applicants these projects take
        category: 사회안전 (a Companion-jobs field, an Attractive-jobs track)
        term: {start: 2025-07-01, end: 2025-12-20}
        projects: [{id, name, workplace, workplace_address, district, positions, pay?}]

A project's `pay` overrides the program's hours or wage (a part-time project, say); the
program's allowances apply to every project of the program.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .pay import Allowance, PayRule


class CatalogError(ValueError):
    pass


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PayTerms(_Frozen):
    """What a project may set apart from its program's pay."""

    hourly_wage_krw: int | None = Field(default=None, gt=0)
    hours_per_day: int | None = Field(default=None, ge=1, le=8)
    days_per_week: int | None = Field(default=None, ge=1, le=5)


class Project(_Frozen):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    workplace: str = Field(min_length=1)
    workplace_address: str = Field(min_length=1)
    district: str = Field(min_length=1, description="the workplace's 시·군·구, e.g. 금천구")
    positions: int = Field(ge=1)
    pay: PayTerms = PayTerms()


class Term(_Frozen):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("the term ends before it starts")
        return self


class ProgramPay(_Frozen):
    hourly_wage_krw: int = Field(gt=0)
    hours_per_day: int = Field(ge=1, le=8)
    days_per_week: int = Field(ge=1, le=5)
    allowances: tuple[Allowance, ...] = ()


class PublicJobCall(_Frozen):
    """The projects one recruitment call fills, with everything an assignment states."""

    call_id: str = Field(min_length=1)
    program_id: str
    program_name: str
    category: str
    term: Term
    pay: ProgramPay
    projects: tuple[Project, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _projects_are_sound(self) -> Self:
        repeated = sorted(i for i, n in Counter(p.id for p in self.projects).items() if n > 1)
        if repeated:
            raise ValueError(f"duplicate project ids: {', '.join(repeated)}")
        for project in self.projects:
            self.pay_of(project)  # a project's hours must stay within the statutory week
        return self

    @property
    def positions(self) -> int:
        return sum(p.positions for p in self.projects)

    def project(self, project_id: str) -> Project | None:
        return next((p for p in self.projects if p.id == project_id), None)

    def pay_of(self, project: Project) -> PayRule:
        own = project.pay
        return PayRule(
            hourly_wage_krw=own.hourly_wage_krw or self.pay.hourly_wage_krw,
            hours_per_day=own.hours_per_day or self.pay.hours_per_day,
            days_per_week=own.days_per_week or self.pay.days_per_week,
            allowances=self.pay.allowances,
        )


@dataclass(frozen=True)
class ProjectCatalog:
    calls: tuple[PublicJobCall, ...] = ()

    def __post_init__(self) -> None:
        repeated = sorted(i for i, n in Counter(c.call_id for c in self.calls).items() if n > 1)
        if repeated:
            raise CatalogError(f"calls listed twice: {', '.join(repeated)}")

    def call(self, call_id: str) -> PublicJobCall | None:
        """The projects of a public-job call; None for any other call (a training course)."""
        return next((c for c in self.calls if c.call_id == call_id), None)


def parse_projects(documents: Iterable[Mapping[str, Any]]) -> ProjectCatalog:
    calls: list[PublicJobCall] = []
    for number, document in enumerate(documents, start=1):
        unknown = set(document) - {"program", "calls"}
        program = document.get("program")
        if unknown or not isinstance(program, Mapping):
            raise CatalogError(f"document {number}: expected keys program and calls")
        for raw in document.get("calls") or ():
            where = f"program {program.get('id', '?')}, call {raw.get('call_id', '?')}"
            data = {
                **raw,
                "program_id": program.get("id"),
                "program_name": program.get("name"),
                "pay": program.get("pay"),
            }
            try:
                calls.append(PublicJobCall.model_validate(data))
            except ValidationError as error:
                raise CatalogError(f"{where}: {error}") from error
    return ProjectCatalog(tuple(calls))
