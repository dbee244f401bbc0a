"""Programs (사업): what the city runs, where, and what a citizen can apply for within it."""

from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from services.recruitment.domain.spec import Spec


class ProgramKind(StrEnum):
    TRAINING = "training"  # leads to a training cohort (교육생)
    PUBLIC_JOB = "public_job"  # leads to paid public work (참여자)


class Campus(Spec):
    """A place training happens: a 청년취업사관학교 campus, a 기술교육원, a 50플러스캠퍼스."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    address: str | None = None
    opens_on: date | None = Field(default=None, description="for campuses opening in the year")
    founded_year: int | None = None
    specialisation: str | None = Field(default=None, examples=["AI"])
    yearly_trainees: int | None = Field(default=None, ge=0)


class CourseRef(Spec):
    program_id: str
    course_id: str


class Course(Spec):
    """A course (과정/학과), offered at one or more campuses of its program."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    campus_ids: tuple[str, ...] = ()
    leads_to: CourseRef | None = Field(
        default=None, description="the regular course a taster (원데이 클래스) links to"
    )


class JobType(Spec):
    """A field or track of a public-jobs program (분야/유형), e.g. 돌봄·건강 or 경력형성형."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    headcount: int | None = Field(default=None, ge=0, description="planned people per year")
    projects: int | None = Field(default=None, ge=0)
    examples: tuple[str, ...] = ()


class Program(Spec):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1, examples=["서울 동행일자리"])
    kind: ProgramKind
    campuses: tuple[Campus, ...] = ()
    courses: tuple[Course, ...] = ()
    job_types: tuple[JobType, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for label, ids in (
            ("campus", [c.id for c in self.campuses]),
            ("course", [c.id for c in self.courses]),
            ("job type", [j.id for j in self.job_types]),
        ):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"duplicate {label} ids: {', '.join(duplicates)}")
        campus_ids = {c.id for c in self.campuses}
        for course in self.courses:
            unknown = sorted(set(course.campus_ids) - campus_ids)
            if unknown:
                raise ValueError(f"course {course.id} names unknown campuses: {', '.join(unknown)}")
        if self.job_types and self.kind is not ProgramKind.PUBLIC_JOB:
            raise ValueError("only a public_job program has job types")
        return self

    def campus(self, campus_id: str) -> Campus | None:
        return next((c for c in self.campuses if c.id == campus_id), None)

    def course(self, course_id: str) -> Course | None:
        return next((c for c in self.courses if c.id == course_id), None)

    def job_type(self, job_type_id: str) -> JobType | None:
        return next((j for j in self.job_types if j.id == job_type_id), None)
