"""Realistic sample events for every template: the preview endpoint and the tests use them.

The payloads are the contract's own models, so a sample that drifts from the contract fails
at import rather than in front of an operator. Programs, courses and addresses are the city's
(2025 business plans); people, ids and the employer are invented.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from services.notify.domain.catalog import template_context
from shared.clock import SEOUL
from shared.contracts.common import ContractModel
from shared.contracts.enrollment import (
    EnrollmentCompleted,
    EnrollmentConfirmed,
    EnrollmentWithdrawn,
    PublicJobAssignment,
    WaitlistPromoted,
)
from shared.contracts.placement import EmploymentConfirmed, EmploymentType, ReportSource
from shared.contracts.recruitment import (
    Address,
    Applicant,
    ApplicationDecided,
    ApplicationScreened,
    ApplicationSubmitted,
    Channel,
    Consents,
    EmploymentStatus,
    FailedRule,
    Household,
    IncomeCategory,
    UnemploymentBenefit,
)
from shared.topics import Topic


@dataclass(frozen=True)
class Sample:
    event_type: str
    data: ContractModel
    citizen_name: str

    def context(self) -> dict[str, Any]:
        return template_context(self.data, self.citizen_name)


def _kst(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SEOUL)


DONGHAENG_CALL = "2025년 하반기 서울 동행일자리 참여자 모집"
ACADEMY_CALL = "2025 청년취업사관학교 교육생 모집"
MAERYEOK_CALL = "2025년 서울 매력일자리(경력형성형) 참여자 모집"
JUNGBU_CALL = "2025년 중부기술교육원 정규과정 교육생 모집"

_HONG = Applicant(
    applicant_id="P-7F3A21",
    name="홍길동",
    birth_date=date(1985, 3, 2),
    phone="010-1234-5678",
    email="hong@example.com",
    address=Address(sido="서울특별시", sigungu="금천구"),
    nationality="KR",
    household=Household(is_head=True, single_person=True),
    employment_status=EmploymentStatus.UNEMPLOYED,
    unemployment_benefit=UnemploymentBenefit(start=date(2025, 1, 2), end=date(2025, 4, 30)),
    income_category=IncomeCategory.NEAR_POOR,
    consents=Consents(sms=True, email=True),
)


def _decided(decision: str, **fields: Any) -> ApplicationDecided:
    return ApplicationDecided.model_validate(
        {
            "call_id": "C-2025-ACADEMY",
            "program_id": "youth-job-academy",
            "call_title": ACADEMY_CALL,
            "decision": decision,
            "selection_run_id": "SR-2025-03-0001",
            "decided_at": _kst(2025, 3, 14, 10),
            **fields,
        }
    )


_SAMPLES = (
    (
        "application_received",
        Sample(
            Topic.APPLICATION_SUBMITTED,
            ApplicationSubmitted(
                application_id="A2025-000123",
                call_id="C-2025-DH-H2",
                submitted_at=_kst(2025, 5, 12, 9, 30),
                channel=Channel.WEB,
                applicant=_HONG,
            ),
            "홍길동",
        ),
    ),
    (
        "screening_passed",
        Sample(
            Topic.APPLICATION_SCREENED,
            ApplicationScreened(
                application_id="A2025-000123",
                call_id="C-2025-DH-H2",
                applicant_id="P-7F3A21",
                program_id="seoul-donghaeng",
                call_title=DONGHAENG_CALL,
                eligible=True,
                checked_rules=["age.min", "residence.seoul", "unemployment_benefit.at_start"],
                score=72.5,
                screened_at=_kst(2025, 5, 19, 14),
            ),
            "홍길동",
        ),
    ),
    (
        "screening_failed",
        Sample(
            Topic.APPLICATION_SCREENED,
            ApplicationScreened(
                application_id="A2025-000124",
                call_id="C-2025-DH-H2",
                applicant_id="P-91BC04",
                program_id="seoul-donghaeng",
                call_title=DONGHAENG_CALL,
                eligible=False,
                failed_rules=[
                    FailedRule(
                        code="residence.seoul",
                        message="신청일 기준 서울시에 주민등록이 되어 있어야 합니다.",
                    ),
                    FailedRule(
                        code="unemployment_benefit.at_start",
                        message="근무 시작일(2025년 7월 1일)에 실업급여를 받고 있는 분은 "
                        "참여할 수 없습니다.",
                    ),
                ],
                checked_rules=["age.min", "residence.seoul", "unemployment_benefit.at_start"],
                screened_at=_kst(2025, 5, 19, 14),
            ),
            "김영희",
        ),
    ),
    (
        "application_selected",
        Sample(
            Topic.APPLICATION_SELECTED,
            _decided(
                "selected",
                application_id="A2025-003101",
                applicant_id="P-2D8E55",
                rank=12,
                score=88.0,
                track="general",
            ),
            "이민준",
        ),
    ),
    (
        "application_waitlisted",
        Sample(
            Topic.APPLICATION_WAITLISTED,
            _decided(
                "waitlisted",
                application_id="A2025-003377",
                applicant_id="P-5A0C19",
                call_id="C-2025-MR-CAREER",
                program_id="seoul-maeryeok",
                call_title=MAERYEOK_CALL,
                rank=987,
                score=64.0,
                track="general",
                waitlist_position=3,
            ),
            "박지현",
        ),
    ),
    (
        "application_rejected",
        Sample(
            Topic.APPLICATION_REJECTED,
            _decided(
                "rejected",
                application_id="A2025-004410",
                applicant_id="P-66F2A8",
                call_id="C-2025-JUNGBU",
                program_id="technical-institute-jungbu",
                call_title=JUNGBU_CALL,
                rank=231,
                score=41.0,
                track="general",
                reasons=[
                    FailedRule(
                        code="selection.below_quota",
                        message="선발 순위가 모집 정원과 예비 순번 밖에 있습니다.",
                    )
                ],
            ),
            "최수진",
        ),
    ),
    (
        "seat_offered",
        Sample(
            Topic.WAITLIST_PROMOTED,
            WaitlistPromoted(
                offer_id="OF-2025-000045",
                application_id="A2025-003150",
                applicant_id="P-4B7E11",
                cohort_id="youth-academy-songpa-ai-2025-1",
                program_name="청년취업사관학교",
                course_name="송파캠퍼스 AI 융합 과정",
                offer_deadline=_kst(2025, 5, 23, 18),
                promoted_at=_kst(2025, 5, 21, 22, 40),
            ),
            "강하늘",
        ),
    ),
    (
        "enrollment_confirmed",
        Sample(
            Topic.ENROLLMENT_CONFIRMED,
            EnrollmentConfirmed(
                enrollment_id="E2025-000311",
                application_id="A2025-004102",
                applicant_id="P-3E7D90",
                cohort_id="jungbu-global-cooking-2025",
                program_name="서울시 기술교육원",
                course_name="글로벌조리과",
                campus_name="중부기술교육원",
                campus_address="서울 용산구 한남대로 136",
                start_date=date(2025, 3, 4),
                confirmed_at=_kst(2025, 2, 24, 11),
            ),
            "정우성",
        ),
    ),
    (
        "public_job_assigned",
        Sample(
            Topic.ENROLLMENT_CONFIRMED,
            EnrollmentConfirmed(
                enrollment_id="E2025-008812",
                application_id="A2025-000123",
                applicant_id="P-7F3A21",
                cohort_id="donghaeng-2025-h2-geumcheon-drain",
                program_name="서울 동행일자리",
                course_name="빗물받이 관리자",
                campus_name="금천구청",
                campus_address="서울 금천구 시흥대로73길 70",
                start_date=date(2025, 7, 1),
                assignment=PublicJobAssignment(
                    workplace="금천구청 치수과",
                    workplace_address="서울 금천구 시흥대로73길 70",
                    start_date=date(2025, 7, 1),
                    end_date=date(2025, 12, 20),
                    hours_per_day=6,
                    monthly_pay_krw=1_770_000,
                ),
                confirmed_at=_kst(2025, 6, 10, 15),
            ),
            "홍길동",
        ),
    ),
    (
        "enrollment_withdrawn",
        Sample(
            Topic.ENROLLMENT_WITHDRAWN,
            EnrollmentWithdrawn(
                enrollment_id="E2025-000311",
                applicant_id="P-3E7D90",
                cohort_id="jungbu-global-cooking-2025",
                reason="본인 요청",
                withdrawn_at=_kst(2025, 3, 10, 16, 20),
            ),
            "정우성",
        ),
    ),
    (
        "course_completed",
        Sample(
            Topic.ENROLLMENT_COMPLETED,
            EnrollmentCompleted(
                enrollment_id="E2025-000777",
                applicant_id="P-8C1B42",
                cohort_id="geumcheon-career-change-care-2025",
                program_name="창업 및 직업전환학교",
                course_name="요양보호사 교육과정",
                survey_url="https://jobs.seoul.example/survey/E2025-000777",
                completed_at=_kst(2025, 11, 28, 17),
            ),
            "윤미경",
        ),
    ),
    (
        "employment_confirmed",
        Sample(
            Topic.EMPLOYMENT_CONFIRMED,
            EmploymentConfirmed(
                report_id="R2025-000921",
                applicant_id="P-2D8E55",
                employer_name="(주)한강데이터랩",
                job_title="백엔드 개발자",
                employment_type=EmploymentType.PERMANENT,
                start_date=date(2025, 9, 1),
                source=ReportSource.EMPLOYMENT_INSURANCE,
                confirmed_at=_kst(2025, 9, 3, 10, 5),
            ),
            "이민준",
        ),
    ),
)

SAMPLES: Mapping[str, Sample] = MappingProxyType(dict(_SAMPLES))


def sample(template_name: str) -> Sample:
    try:
        return SAMPLES[template_name]
    except KeyError:
        raise KeyError(f"no sample for template {template_name!r}") from None
