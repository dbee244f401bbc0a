"""HTTP routes of the enrollment service: they translate, the use cases decide. A use case
that cannot do what was asked raises a `shared.problems.Problem`, which the runtime answers
with its status and the field at fault.

Answers to offers, withdrawals and completions are decided by the cohort's one writer, in
order with every other change to its seats: these routes answer 202 (taken) at once and the
result shows, moments later, where the citizen or operator looks (`/offers`, `/enrollments`,
`/roster`).

Who may call what (shared/auth.py): the course catalog is readable with any token; a citizen
answers their own offers, withdraws and answers their own survey; their offers and
enrollments are also readable by operators of every program and auditors; an operator acts on
the cohorts of the programs in their token, and every such action goes to the audit log."""

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from shared.audit import Audit
from shared.auth import (
    Anyone,
    Citizen,
    CitizenOrStaff,
    Forbidden,
    Operator,
    OperatorOrAuditor,
    Principal,
    Role,
)
from shared.contracts.enrollment import CourseRecommendation
from shared.problems import Unprocessable

from .. import use_cases
from ..domain.cohort import FIELD_LABELS, AgeGroup, CallStatus, Cohort, TrainingField
from ..domain.districts import DISTRICTS
from ..domain.search import CatalogQuery, Found
from ..domain.seats import Seat, SeatStatus
from ..domain.survey import QUESTIONS, SCALE, Answers, Averages, Question, Scope
from ..use_cases import Ports, Standing

MAX_CSV_BYTES = 5 * 1024 * 1024


class Listing(BaseModel):
    cohort: Cohort
    field_label: str
    call_status: CallStatus
    distance_km: float | None = Field(description="from the district searched from, if any")

    @classmethod
    def of(cls, found: Found) -> "Listing":
        return cls(
            cohort=found.cohort,
            field_label=FIELD_LABELS[found.cohort.course.field],
            call_status=found.call_status,
            distance_km=None if found.distance_km is None else round(found.distance_km, 1),
        )


class SeatView(BaseModel):
    application_id: str
    enrollment_id: str
    cohort_id: str
    program_name: str
    course_name: str
    campus_name: str
    campus_address: str
    start_date: date
    end_date: date
    status: SeatStatus
    offer_id: str | None
    offered_at: datetime | None
    offer_deadline: datetime | None
    waitlist_position: int | None
    changed_at: datetime
    reason: str | None
    attended_sessions: int | None
    recommended_course: CourseRecommendation | None = None

    @classmethod
    def of(cls, standing: Standing) -> "SeatView":
        seat, cohort = standing.seat, standing.cohort
        return cls(
            application_id=seat.application_id,
            enrollment_id=seat.enrollment_id,
            cohort_id=cohort.id,
            program_name=cohort.program_name,
            course_name=cohort.course.name,
            campus_name=cohort.campus.name,
            campus_address=cohort.campus.address,
            start_date=cohort.start_date,
            end_date=cohort.end_date,
            status=seat.status,
            offer_id=seat.offer_id,
            offered_at=seat.offered_at,
            offer_deadline=seat.deadline,
            waitlist_position=seat.position,
            changed_at=seat.changed_at,
            reason=seat.reason,
            attended_sessions=seat.attended,
            recommended_course=standing.recommendation,
        )


class ApplicantOffers(BaseModel):
    applicant_id: str
    offers: list[SeatView]


class Taken(BaseModel):
    """The request is taken; the cohort's writer decides in moments: see `status_url`."""

    status: Literal["taken"] = "taken"
    status_url: str


class PendingView(BaseModel):
    """Selected by a call that fills no cohort (a public job)."""

    enrollment_id: str
    application_id: str
    call_id: str
    program_id: str
    track: str | None
    rank: int | None
    selected_at: datetime


class ApplicantEnrollments(BaseModel):
    applicant_id: str
    enrollments: list[SeatView]
    pending: list[PendingView]


class RosterSeat(BaseModel):
    application_id: str
    status: SeatStatus
    selected: bool
    rank: int | None
    waitlist_position: int | None
    offer_id: str | None
    offer_deadline: datetime | None
    promoted: bool
    changed_at: datetime
    attended_sessions: int | None

    @classmethod
    def of(cls, seat: Seat) -> "RosterSeat":
        return cls(
            application_id=seat.application_id,
            status=seat.status,
            selected=seat.selected,
            rank=seat.rank,
            waitlist_position=seat.position,
            offer_id=seat.offer_id,
            offer_deadline=seat.deadline,
            promoted=seat.promoted,
            changed_at=seat.changed_at,
            attended_sessions=seat.attended,
        )


class Fill(BaseModel):
    cohort_id: str
    capacity: int
    counts: dict[SeatStatus, int]
    fill_ratio: float = Field(description="seats taken (confirmed, completed, dropped out)")
    full: bool
    times_filled: int
    vacancies_waiting: int = Field(description="freed seats waiting for the next in line")


class RosterView(BaseModel):
    fill: Fill
    seats: list[RosterSeat] = Field(description="enrolled and offered, then the waitlist")


class AttendanceMark(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enrollment_id: str = Field(min_length=1, max_length=128)
    present: bool


class SessionAttendance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    marks: list[AttendanceMark] = Field(min_length=1, max_length=10_000)


class AttendanceRecorded(BaseModel):
    cohort_id: str
    recorded: int


class AttendanceLineView(BaseModel):
    enrollment_id: str
    attended: int
    sessions: int
    rate: float
    meets_rate: bool


class CompletionTaken(BaseModel):
    status: Literal["taken"] = "taken"
    cohort_id: str
    judged: int = Field(description="confirmed enrollments judged by their attendance")
    roster_url: str


class SurveyQuestion(BaseModel):
    id: Question
    text: str


class SurveyForm(BaseModel):
    enrollment_id: str
    program_name: str
    course_name: str
    questions: list[SurveyQuestion]
    scale: dict[int, str]


class SurveyReceipt(BaseModel):
    enrollment_id: str
    answered_at: datetime


class SurveyAverages(BaseModel):
    scope: Scope
    id: str
    responses: int
    averages: dict[Question, float]

    @classmethod
    def of(cls, group: Averages) -> "SurveyAverages":
        return cls(
            scope=group.scope, id=group.id, responses=group.responses, averages=group.averages
        )


def _month(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        raise Unprocessable("start_month", "expected YYYY-MM") from None


def _mine(who: Principal, applicant_id: str) -> None:
    """Only the citizen answers, accepts or withdraws for themself."""
    if who.subject != applicant_id:
        raise Forbidden("applicant_id", "only the citizen themself may do this")


async def _cohort_of(ports: Ports, who: Principal, cohort_id: str) -> Cohort:
    """The cohort, if `who` operates its program (auditors read every cohort)."""
    found = await use_cases.cohort(ports, cohort_id)
    if not who.has(Role.AUDITOR):
        who.require_program(found.program_id)
    return found


def citizen_routes(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["citizens"])

    @router.get("/cohorts")
    async def find_cohorts(
        _: Anyone,
        field: TrainingField | None = None,
        age_group: AgeGroup | None = None,
        district: Annotated[
            str | None, Query(description="the citizen's 시군구: nearest cohorts first")
        ] = None,
        start_month: Annotated[
            str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2025-09"])
        ] = None,
        include_closed: Annotated[
            bool, Query(description="also cohorts that started or whose call closed")
        ] = False,
    ) -> list[Listing]:
        """One catalog of every program's cohorts. By default those a citizen can still join."""
        if district is not None and district not in DISTRICTS:
            raise Unprocessable("district", "unknown district (시군구), e.g. 금천구")
        query = CatalogQuery(field, age_group, district, _month(start_month), include_closed)
        return [Listing.of(found) for found in await use_cases.find_cohorts(ports, query)]

    @router.get("/cohorts/{cohort_id}")
    async def cohort(cohort_id: str, _: Anyone) -> Listing:
        found = await use_cases.cohort(ports, cohort_id)
        return Listing.of(Found(found, found.call_status(ports.clock()), None))

    @router.get("/applicants/{applicant_id}/offers")
    async def offers(applicant_id: str, who: CitizenOrStaff) -> ApplicantOffers:
        """Seats offered to the citizen: open ones with their deadline, and answered ones."""
        who.require_self_or_staff(applicant_id)
        found = await use_cases.offers_of(ports, applicant_id)
        return ApplicantOffers(applicant_id=applicant_id, offers=[SeatView.of(s) for s in found])

    @router.post(
        "/applicants/{applicant_id}/offers/{offer_id}/accept",
        status_code=status.HTTP_202_ACCEPTED,
    )
    async def accept(applicant_id: str, offer_id: str, who: Citizen) -> Taken:
        """Accept an open offer before its deadline: the enrollment is confirmed."""
        _mine(who, applicant_id)
        await use_cases.answer_offer(ports, applicant_id, offer_id, accept=True)
        return Taken(status_url=f"/applicants/{applicant_id}/offers")

    @router.post(
        "/applicants/{applicant_id}/offers/{offer_id}/decline",
        status_code=status.HTTP_202_ACCEPTED,
    )
    async def decline(applicant_id: str, offer_id: str, who: Citizen) -> Taken:
        """Decline an open offer: the seat goes to the next person on the waitlist."""
        _mine(who, applicant_id)
        await use_cases.answer_offer(ports, applicant_id, offer_id, accept=False)
        return Taken(status_url=f"/applicants/{applicant_id}/offers")

    @router.get("/applicants/{applicant_id}/enrollments")
    async def enrollments(applicant_id: str, who: CitizenOrStaff) -> ApplicantEnrollments:
        who.require_self_or_staff(applicant_id)
        found = await use_cases.enrollments_of(ports, applicant_id)
        return ApplicantEnrollments(
            applicant_id=applicant_id,
            enrollments=[SeatView.of(s) for s in found.in_cohorts],
            pending=[PendingView.model_validate(p, from_attributes=True) for p in found.pending],
        )

    @router.post(
        "/applicants/{applicant_id}/enrollments/{enrollment_id}/withdraw",
        status_code=status.HTTP_202_ACCEPTED,
    )
    async def withdraw(applicant_id: str, enrollment_id: str, who: Citizen) -> Taken:
        """Give up a seat (also after the start), an open offer or a waitlist place."""
        _mine(who, applicant_id)
        await use_cases.withdraw(ports, applicant_id, enrollment_id)
        return Taken(status_url=f"/applicants/{applicant_id}/enrollments")

    @router.get("/surveys/{enrollment_id}")
    async def survey(enrollment_id: str, who: Citizen) -> SurveyForm:
        """The participant satisfaction survey (참여자 만족도 조사) of a completed course."""
        standing = await use_cases.survey_for(ports, enrollment_id)
        _mine(who, standing.seat.applicant_id)
        return SurveyForm(
            enrollment_id=enrollment_id,
            program_name=standing.cohort.program_name,
            course_name=standing.cohort.course.name,
            questions=[SurveyQuestion(id=q, text=text) for q, text in QUESTIONS.items()],
            scale=SCALE,
        )

    @router.post("/surveys/{enrollment_id}", status_code=status.HTTP_201_CREATED)
    async def answer_survey(enrollment_id: str, answers: Answers, who: Citizen) -> SurveyReceipt:
        """Answer once; a second answer is refused (409)."""
        _mine(who, (await use_cases.survey_for(ports, enrollment_id)).seat.applicant_id)
        response = await use_cases.answer_survey(ports, enrollment_id, answers)
        return SurveyReceipt(enrollment_id=enrollment_id, answered_at=response.answered_at)

    return router


def operator_routes(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["operators"])

    @router.post("/cohorts", status_code=status.HTTP_201_CREATED)
    async def add_cohort(cohort: Cohort, who: Operator, audit: Audit) -> Cohort:
        """A new cohort (campus × course × term), as data; `call.id` names the recruitment call
        whose selected and waitlisted applicants fill it."""
        who.require_program(cohort.program_id)
        added = await use_cases.add_cohort(ports, cohort)
        await audit.record("cohort.added", cohort.id, program_id=cohort.program_id)
        return added

    async def fill_and_seats(cohort_id: str) -> RosterView:
        found = await use_cases.roster(ports, cohort_id)
        state, capacity = found.seats, found.cohort.capacity
        taken = state.count(SeatStatus.CONFIRMED, SeatStatus.COMPLETED, SeatStatus.DROPPED_OUT)
        order = {s: n for n, s in enumerate(SeatStatus)}
        seats = sorted(
            state.seats.values(),
            key=lambda s: (order[s.status], s.rank or 0, s.position or 0, s.application_id),
        )
        return RosterView(
            fill=Fill(
                cohort_id=cohort_id,
                capacity=capacity,
                counts={s: state.count(s) for s in SeatStatus},
                fill_ratio=round(taken / capacity, 4),
                full=state.full,
                times_filled=state.fillings,
                vacancies_waiting=state.vacancies,
            ),
            seats=[RosterSeat.of(seat) for seat in seats],
        )

    @router.get("/cohorts/{cohort_id}/roster")
    async def roster(cohort_id: str, who: OperatorOrAuditor) -> RosterView:
        """Every seat of the cohort, whatever became of it, and its fill status."""
        await _cohort_of(ports, who, cohort_id)
        return await fill_and_seats(cohort_id)

    @router.get("/cohorts/{cohort_id}/fill")
    async def fill(cohort_id: str, who: OperatorOrAuditor) -> Fill:
        """Seats by status, fill ratio, and how many times the cohort became full."""
        await _cohort_of(ports, who, cohort_id)
        return (await fill_and_seats(cohort_id)).fill

    @router.post("/cohorts/{cohort_id}/sessions/{session}/attendance")
    async def record_attendance(
        cohort_id: str, session: int, attendance: SessionAttendance, who: Operator, audit: Audit
    ) -> AttendanceRecorded:
        """One session's attendance; a later record for the same session corrects it."""
        await _cohort_of(ports, who, cohort_id)
        recorded = await use_cases.record_attendance(
            ports, cohort_id, session, [(m.enrollment_id, m.present) for m in attendance.marks]
        )
        await audit.record("attendance.recorded", cohort_id, session=session, marks=recorded)
        return AttendanceRecorded(cohort_id=cohort_id, recorded=recorded)

    @router.post(
        "/cohorts/{cohort_id}/attendance.csv",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {
                        "schema": {"type": "string"},
                        "example": "enrollment_id,session,present\nA-0001,1,1\nA-0002,1,0\n",
                    }
                },
            }
        },
    )
    async def import_attendance(
        cohort_id: str, request: Request, who: Operator, audit: Audit
    ) -> AttendanceRecorded:
        """A campus system's export: `enrollment_id,session,present` with a header, UTF-8 or
        CP949 (present: 1/0, Y/N, O/X, 출석/결석). All rows or none."""
        await _cohort_of(ports, who, cohort_id)
        body = await request.body()
        if len(body) > MAX_CSV_BYTES:
            raise Unprocessable("body", f"at most {MAX_CSV_BYTES} bytes")
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = body.decode("cp949")  # what Excel on a Korean PC writes
            except UnicodeDecodeError:
                raise Unprocessable("body", "not UTF-8 or CP949 text") from None
        recorded = await use_cases.import_attendance(ports, cohort_id, text)
        await audit.record("attendance.imported", cohort_id, marks=recorded)
        return AttendanceRecorded(cohort_id=cohort_id, recorded=recorded)

    @router.get("/cohorts/{cohort_id}/attendance")
    async def attendance(cohort_id: str, who: OperatorOrAuditor) -> list[AttendanceLineView]:
        await _cohort_of(ports, who, cohort_id)
        lines = await use_cases.attendance(ports, cohort_id)
        return [AttendanceLineView.model_validate(line, from_attributes=True) for line in lines]

    @router.post("/cohorts/{cohort_id}/completion", status_code=status.HTTP_202_ACCEPTED)
    async def complete(cohort_id: str, who: Operator, audit: Audit) -> CompletionTaken:
        """After the last day: each confirmed enrollment completes (at the cohort's attendance
        rate, 80% by default) or drops out. Completed citizens get the survey link."""
        await _cohort_of(ports, who, cohort_id)
        judged = await use_cases.complete_cohort(ports, cohort_id)
        await audit.record("cohort.completed", cohort_id, judged=judged)
        return CompletionTaken(
            cohort_id=cohort_id, judged=judged, roster_url=f"/cohorts/{cohort_id}/roster"
        )

    @router.get("/survey-results")
    async def survey_results(
        who: OperatorOrAuditor,
        scope: Scope = Scope.PROGRAM,
        id_: Annotated[
            str | None, Query(alias="id", description="one program/cohort/campus")
        ] = None,
    ) -> list[SurveyAverages]:
        """Average scores per question, by program, cohort or campus (an operator sees the
        programs in their token; one of every program and auditors see all)."""
        groups = await use_cases.survey_results(ports, scope, id_)
        if not (who.has(Role.AUDITOR) or who.operates_everything):
            if scope is not Scope.PROGRAM:  # cohorts and campuses span programs
                raise Forbidden("scope", "by cohort or campus needs an operator of every program")
            groups = [group for group in groups if who.operates(group.id)]
        return [SurveyAverages.of(group) for group in groups]

    return router
