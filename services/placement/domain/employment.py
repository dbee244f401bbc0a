"""When a reported job counts as a confirmed employment outcome.

An employment is confirmed by the employer or by an employment-insurance record; a citizen's
own report is kept but waits for one of those. Reports of the same job (same person, employer
and start date) from several sources are one employment, confirmed once, by the first
confirming report.
"""

from dataclasses import dataclass
from datetime import date, datetime

from shared.contracts.placement import (
    Employer,
    EmploymentConfirmed,
    EmploymentReported,
    EmploymentType,
    ReportSource,
)
from shared.envelope import derive_event_id

CONFIRMING_SOURCES = frozenset({ReportSource.EMPLOYER, ReportSource.EMPLOYMENT_INSURANCE})


@dataclass(frozen=True)
class Employment:
    """A confirmed job: who, where, from when, and the report that confirmed it."""

    employment_id: str
    applicant_id: str
    employer: Employer
    job_title: str
    employment_type: EmploymentType
    start_date: date
    source: ReportSource
    confirmed_by: str
    confirmed_at: datetime

    def as_event(self) -> EmploymentConfirmed:
        return EmploymentConfirmed(
            report_id=self.confirmed_by,
            applicant_id=self.applicant_id,
            employer_name=self.employer.name,
            job_title=self.job_title,
            employment_type=self.employment_type,
            start_date=self.start_date,
            source=self.source,
            confirmed_at=self.confirmed_at,
        )


def employment_id(report: EmploymentReported) -> str:
    return derive_event_id(
        "employment",
        report.applicant_id,
        report.employer.business_no,
        report.start_date.isoformat(),
    )


def confirms(report: EmploymentReported) -> bool:
    return report.source in CONFIRMING_SOURCES


def confirm(report: EmploymentReported, at: datetime) -> Employment:
    """The employment this report would confirm, if it is the first to."""
    return Employment(
        employment_id=employment_id(report),
        applicant_id=report.applicant_id,
        employer=report.employer,
        job_title=report.job_title,
        employment_type=report.employment_type,
        start_date=report.start_date,
        source=report.source,
        confirmed_by=report.report_id,
        confirmed_at=at,
    )
