"""HTTP routes of the placement service: they translate, the use cases decide.

Who may call what (shared/auth.py): a citizen reads their own employments and public-job
assignment (operators and auditors may too); operators verify employment reports, read outcome
rates and the positions of the public-job calls of their programs, and run job matching
(employers, openings, graduates' profiles, referrals, matching days). Every operator action
that changes something goes to the audit log, with the operator as the token names them."""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, field_validator

from shared.audit import Audit
from shared.auth import CitizenOrStaff, Operator, OperatorOrAuditor, Role
from shared.contracts.placement import (
    Employer,
    EmploymentReported,
    EmploymentType,
    PublicJobAssigned,
    ReportSource,
)

from .. import use_cases
from ..domain.employers import RegisteredEmployer, StudyCourse
from ..domain.employment import Employment
from ..domain.matching import MatchingDay, Opening, Recommendation
from ..domain.outcomes import WINDOW_MONTHS, Rate
from ..domain.pay import Allowance
from ..use_cases import Ports

BUSINESS_NO = r"^\d{3}-\d{2}-\d{5}$"


# -- employments -----------------------------------------------------------------------------
class EmploymentView(BaseModel):
    employment_id: str
    employer: Employer
    job_title: str
    employment_type: EmploymentType
    start_date: date
    source: ReportSource
    confirmed_by: str
    confirmed_at: datetime
    verified_by: str | None = None

    @classmethod
    def of(cls, employment: Employment) -> EmploymentView:
        return cls(
            employment_id=employment.employment_id,
            employer=employment.employer,
            job_title=employment.job_title,
            employment_type=employment.employment_type,
            start_date=employment.start_date,
            source=employment.source,
            confirmed_by=employment.confirmed_by,
            confirmed_at=employment.confirmed_at,
            verified_by=employment.verified_by,
        )


class ApplicantEmployments(BaseModel):
    applicant_id: str
    employments: list[EmploymentView]
    reports: list[EmploymentReported]


class PendingReport(BaseModel):
    employment_id: str
    report: EmploymentReported


class Verification(BaseModel):
    verified_by: str = Field(min_length=1, max_length=64, description="the operator's id")


class Verified(BaseModel):
    employment: EmploymentView
    confirmed_now: bool = Field(
        description="false when the job was confirmed before (by employment insurance or "
        "another verified report of it): no second confirmation is published"
    )


# -- outcomes --------------------------------------------------------------------------------
class RateView(BaseModel):
    completed: int
    employed: int
    awaiting: int = Field(description="completions whose 6-month window is open, no job yet")
    employment_rate: float | None

    @classmethod
    def of(cls, rate: Rate) -> RateView:
        return cls(
            completed=rate.completed,
            employed=rate.employed,
            awaiting=rate.awaiting,
            employment_rate=rate.rate,
        )


class CohortRate(BaseModel):
    cohort_id: str
    course_name: str
    outcome: RateView


class GroupRate(BaseModel):
    id: str = Field(description="the campus id, or the term (`2025-H2`)")
    name: str
    outcome: RateView


class ProgramRate(BaseModel):
    program_name: str
    outcome: RateView
    cohorts: list[CohortRate]
    campuses: list[GroupRate]
    terms: list[GroupRate] = Field(description="by the half-year the cohort started in")


class Outcomes(BaseModel):
    as_of: date
    window_months: int
    programs: list[ProgramRate]


# -- public-job assignment -------------------------------------------------------------------
class ProjectView(BaseModel):
    project_id: str
    name: str
    workplace: str
    workplace_address: str
    district: str
    positions: int
    assigned: int
    free: int
    hours_per_day: int
    days_per_week: int
    hourly_wage_krw: int
    monthly_paid_hours: int
    monthly_pay_krw: int
    allowances: list[Allowance]


class CallPositions(BaseModel):
    call_id: str
    program_name: str
    category: str
    term_start: date
    term_end: date
    positions: int
    assigned: int
    projects: list[ProjectView]
    unplaced: list[str] = Field(description="selected applications with no position left")


# -- matching --------------------------------------------------------------------------------
class StudyCourseIn(BaseModel):
    program_id: str = Field(min_length=1)
    course_id: str = Field(min_length=1)
    course_name: str = Field(min_length=1)


class EmployerIn(BaseModel):
    business_no: str = Field(pattern=BUSINESS_NO, examples=["123-45-67890"])
    name: str = Field(min_length=1, max_length=200)
    study_course: StudyCourseIn | None = Field(
        default=None,
        description="for a partner of the employment-first, study-later pathway: the course "
        "its hires become eligible for",
    )


class EmployerView(BaseModel):
    business_no: str
    name: str
    study_course: StudyCourseIn | None


class OpeningIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    tags: list[str] = Field(min_length=1, max_length=30, examples=[["python", "sql"]])
    district: str = Field(min_length=1, examples=["금천구"])
    employment_type: EmploymentType
    positions: int = Field(ge=1, le=1000)
    closes_on: date


class OpeningView(BaseModel):
    opening_id: str
    business_no: str
    employer_name: str
    title: str
    tags: list[str]
    district: str
    employment_type: EmploymentType
    positions: int
    closes_on: date

    @classmethod
    def of(cls, opening: Opening) -> OpeningView:
        return cls(
            opening_id=opening.opening_id,
            business_no=opening.business_no,
            employer_name=opening.employer_name,
            title=opening.title,
            tags=sorted(opening.tags),
            district=opening.district,
            employment_type=opening.employment_type,
            positions=opening.positions,
            closes_on=opening.closes_on,
        )


class ProfileIn(BaseModel):
    skills: list[str] = Field(default_factory=list, max_length=50)
    districts: list[str] = Field(default_factory=list, max_length=25)
    employment_types: list[EmploymentType] = Field(default_factory=list)


class GraduateView(BaseModel):
    applicant_id: str
    skills: list[str]
    districts: list[str]
    employment_types: list[EmploymentType]


class RecommendationView(BaseModel):
    opening: OpeningView
    score: float
    matched_skills: list[str]
    same_district: bool
    wanted_employment_type: bool

    @classmethod
    def of(cls, found: Recommendation) -> RecommendationView:
        return cls(
            opening=OpeningView.of(found.opening),
            score=found.score,
            matched_skills=list(found.matched_skills),
            same_district=found.same_district,
            wanted_employment_type=found.wanted_type,
        )


class ReferralIn(BaseModel):
    opening_id: str = Field(min_length=1)
    applicant_id: str = Field(min_length=1)
    coordinator: str = Field(min_length=1, max_length=64, description="the job coordinator's id")


class ReferralView(BaseModel):
    referral_id: str
    opening_id: str
    business_no: str
    applicant_id: str
    coordinator: str
    referred_at: datetime


class MatchingDayIn(BaseModel):
    matching_day_id: str = Field(min_length=1, max_length=64)
    day: date
    opens: time = time(10, 0)
    closes: time = time(17, 0)
    slot_minutes: int = Field(default=30, ge=10, le=240)
    employers: list[str] = Field(min_length=1, description="business numbers")

    @field_validator("opens", "closes")
    @classmethod
    def _seoul_time_of_day(cls, moment: time) -> time:
        if moment.tzinfo is not None:
            raise ValueError("a time of day in Seoul, without an offset")
        return moment


class InterviewView(BaseModel):
    slot: int
    starts_at: datetime
    applicant_id: str
    business_no: str


class PairView(BaseModel):
    applicant_id: str
    business_no: str


class MatchingDayView(BaseModel):
    matching_day_id: str
    day: date
    employers: list[str]
    interviews: list[InterviewView]
    unscheduled: list[PairView]

    @classmethod
    def of(cls, planned: MatchingDay) -> MatchingDayView:
        return cls(
            matching_day_id=planned.matching_day_id,
            day=planned.day,
            employers=list(planned.employers),
            interviews=[
                InterviewView(
                    slot=i.slot,
                    starts_at=i.starts_at,
                    applicant_id=i.applicant_id,
                    business_no=i.business_no,
                )
                for i in planned.schedule.interviews
            ],
            unscheduled=[
                PairView(applicant_id=r.applicant_id, business_no=r.business_no)
                for r in planned.schedule.unscheduled
            ],
        )


def routes(ports: Ports) -> APIRouter:
    router = APIRouter()

    # -- employment outcomes ---------------------------------------------------------------
    @router.get("/applicants/{applicant_id}/employments", tags=["employments"])
    async def employments(applicant_id: str, who: CitizenOrStaff) -> ApplicantEmployments:
        """Confirmed employments of a citizen, and every report received about them."""
        who.require_self_or_staff(applicant_id)
        return ApplicantEmployments(
            applicant_id=applicant_id,
            employments=[
                EmploymentView.of(e) for e in await use_cases.employments_of(ports, applicant_id)
            ],
            reports=await use_cases.reports_of(ports, applicant_id),
        )

    @router.get("/employment-reports/pending", tags=["employments"])
    async def pending(_: OperatorOrAuditor) -> list[PendingReport]:
        """Employer and self reports waiting for an operator or an employment-insurance
        record, oldest first."""
        return [
            PendingReport(employment_id=r.employment_id, report=r.report)
            for r in await use_cases.pending_reports(ports)
        ]

    @router.post("/employment-reports/{report_id}/verification", tags=["employments"])
    async def verify(report_id: str, body: Verification, who: Operator, audit: Audit) -> Verified:
        """An operator verifies a report: its job is confirmed (once, whoever confirms it).
        Reports are not tied to a program: any operator verifies, and the audit log keeps
        who did (the token's subject, beside the `verified_by` the body names)."""
        employment, now = await use_cases.verify_report(ports, report_id, body.verified_by)
        await audit.record(
            "employment.verified", report_id, verified_by=body.verified_by, confirmed_now=now
        )
        return Verified(employment=EmploymentView.of(employment), confirmed_now=now)

    @router.get("/outcomes", tags=["outcomes"])
    async def outcomes(_: OperatorOrAuditor) -> Outcomes:
        """Employment within 6 calendar months of completion, per program, and within it per
        cohort, campus and term."""
        today, programs = await use_cases.outcome_rates(ports)
        return Outcomes(
            as_of=today,
            window_months=WINDOW_MONTHS,
            programs=[
                ProgramRate(
                    program_name=p.program_name,
                    outcome=RateView.of(p.rate),
                    cohorts=[
                        CohortRate(
                            cohort_id=c.cohort_id,
                            course_name=c.course_name,
                            outcome=RateView.of(c.rate),
                        )
                        for c in p.cohorts
                    ],
                    campuses=[
                        GroupRate(id=g.group, name=g.name, outcome=RateView.of(g.rate))
                        for g in p.campuses
                    ],
                    terms=[
                        GroupRate(id=g.group, name=g.name, outcome=RateView.of(g.rate))
                        for g in p.terms
                    ],
                )
                for p in programs
            ],
        )

    # -- public-job assignment -------------------------------------------------------------
    @router.get("/public-job-calls", tags=["public jobs"])
    async def public_job_calls(who: OperatorOrAuditor) -> list[str]:
        """The recruitment calls whose selected applicants placement assigns to projects (of
        the operator's programs)."""
        return [
            c.call_id
            for c in ports.projects.calls
            if who.has(Role.AUDITOR) or who.operates(c.program_id)
        ]

    @router.get("/public-job-calls/{call_id}/positions", tags=["public jobs"])
    async def positions(call_id: str, who: OperatorOrAuditor) -> CallPositions:
        """A call's projects: positions, how many are assigned, and the pay."""
        status = await use_cases.positions_of(ports, call_id)
        call = status.call
        if not who.has(Role.AUDITOR):
            who.require_program(call.program_id)
        projects = []
        for project in call.projects:
            pay = call.pay_of(project)
            assigned = status.assigned.get(project.id, 0)
            projects.append(
                ProjectView(
                    project_id=project.id,
                    name=project.name,
                    workplace=project.workplace,
                    workplace_address=project.workplace_address,
                    district=project.district,
                    positions=project.positions,
                    assigned=assigned,
                    free=project.positions - assigned,
                    hours_per_day=pay.hours_per_day,
                    days_per_week=pay.days_per_week,
                    hourly_wage_krw=pay.hourly_wage_krw,
                    monthly_paid_hours=pay.monthly_paid_hours,
                    monthly_pay_krw=pay.monthly_pay,
                    allowances=list(pay.allowances),
                )
            )
        return CallPositions(
            call_id=call.call_id,
            program_name=call.program_name,
            category=call.category,
            term_start=call.term.start,
            term_end=call.term.end,
            positions=call.positions,
            assigned=sum(status.assigned.values()),
            projects=projects,
            unplaced=list(status.unplaced),
        )

    @router.get("/applications/{application_id}/assignment", tags=["public jobs"])
    async def assignment(application_id: str, who: CitizenOrStaff) -> PublicJobAssigned:
        """The position a selected applicant of a public-job call was given."""
        found = await use_cases.assignment_of(ports, application_id)
        who.require_self_or_staff(found.applicant_id, program_id=found.program_id)
        return found

    # -- job matching ----------------------------------------------------------------------
    @router.post("/employers", tags=["matching"])
    async def register_employer(body: EmployerIn, _: Operator, audit: Audit) -> EmployerView:
        """Register (or update) an employer; a pathway partner names its linked course."""
        course = body.study_course
        employer = await use_cases.register_employer(
            ports,
            RegisteredEmployer(
                business_no=body.business_no,
                name=body.name,
                study_course=None
                if course is None
                else StudyCourse(course.program_id, course.course_id, course.course_name),
            ),
        )
        await audit.record("employer.registered", employer.business_no)
        return EmployerView(
            business_no=employer.business_no, name=employer.name, study_course=course
        )

    @router.post("/employers/{business_no}/openings", status_code=201, tags=["matching"])
    async def post_opening(
        business_no: str, body: OpeningIn, _: Operator, audit: Audit
    ) -> OpeningView:
        opening = await use_cases.post_opening(
            ports,
            business_no,
            title=body.title,
            tags=body.tags,
            district=body.district,
            employment_type=body.employment_type,
            positions=body.positions,
            closes_on=body.closes_on,
        )
        await audit.record("opening.posted", opening.opening_id, business_no=business_no)
        return OpeningView.of(opening)

    @router.put("/graduates/{applicant_id}/profile", tags=["matching"])
    async def save_profile(
        applicant_id: str, body: ProfileIn, _: Operator, audit: Audit
    ) -> GraduateView:
        """A job coordinator's notes on a graduate: extra skills, districts, job types."""
        found = await use_cases.save_graduate_profile(
            ports,
            applicant_id,
            skills=body.skills,
            districts=body.districts,
            employment_types=body.employment_types,
        )
        await audit.record("graduate-profile.saved", applicant_id)
        return GraduateView(
            applicant_id=found.applicant_id,
            skills=sorted(found.skills),
            districts=sorted(found.districts),
            employment_types=sorted(found.employment_types),
        )

    @router.get("/graduates/{applicant_id}/recommendations", tags=["matching"])
    async def recommendations(applicant_id: str, _: Operator) -> list[RecommendationView]:
        """Open openings for a graduate, best fit first."""
        return [
            RecommendationView.of(r) for r in await use_cases.recommendations(ports, applicant_id)
        ]

    @router.post("/referrals", tags=["matching"])
    async def refer(
        body: ReferralIn, response: Response, _: Operator, audit: Audit
    ) -> ReferralView:
        """A coordinator refers a graduate to an opening: 201 the first time, 200 after."""
        referral, created = await use_cases.refer(
            ports, body.opening_id, body.applicant_id, body.coordinator
        )
        response.status_code = 201 if created else 200
        if created:
            await audit.record("referral.made", referral.referral_id, opening_id=body.opening_id)
        return ReferralView(
            referral_id=referral.referral_id,
            opening_id=referral.opening_id,
            business_no=referral.business_no,
            applicant_id=referral.applicant_id,
            coordinator=referral.coordinator,
            referred_at=referral.referred_at,
        )

    @router.post("/matching-days", status_code=201, tags=["matching"])
    async def plan_matching_day(body: MatchingDayIn, _: Operator, audit: Audit) -> MatchingDayView:
        """Interview slots for the candidates referred to the day's employers."""
        planned = await use_cases.plan_matching_day(
            ports,
            body.matching_day_id,
            day=body.day,
            opens=body.opens,
            closes=body.closes,
            slot_minutes=body.slot_minutes,
            employers=body.employers,
        )
        await audit.record("matching-day.planned", body.matching_day_id)
        return MatchingDayView.of(planned)

    @router.get("/matching-days/{matching_day_id}", tags=["matching"])
    async def matching_day(matching_day_id: str, _: Operator) -> MatchingDayView:
        return MatchingDayView.of(await use_cases.matching_day(ports, matching_day_id))

    return router
