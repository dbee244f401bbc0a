"""When a reported job counts as a confirmed employment outcome.

An employment-insurance record (고용보험 취득 신고) confirms a job at once. An employer's report
or a citizen's own report is kept and waits: an operator verifies it (HTTP), or an
employment-insurance report of the same job arrives. Reports of the same job (same person,
employer and start date) from several sources are one employment, confirmed once, by the
first report that confirms it.
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

# Sources that confirm on their own; the others wait for verification or for one of these.
CONFIRMING_SOURCES = frozenset({ReportSource.EMPLOYMENT_INSURANCE})


@dataclass(frozen=True)
class Employment:
    """A confirmed job: who, where, from when, the report that confirmed it and, for a report
    an operator verified, who verified it."""

    employment_id: str
    applicant_id: str
    employer: Employer
    job_title: str
    employment_type: EmploymentType
    start_date: date
    source: ReportSource
    confirmed_by: str
    confirmed_at: datetime
    verified_by: str | None = None

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
    """Whether this report confirms its job by itself (else it waits)."""
    return report.source in CONFIRMING_SOURCES


def confirm(
    report: EmploymentReported, at: datetime, *, verified_by: str | None = None
) -> Employment:
    """The employment this report would confirm, if it is the first to: by itself, or
    verified by the operator `verified_by`."""
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
        verified_by=verified_by,
    )
