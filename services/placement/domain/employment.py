"""When a reported job counts as a confirmed employment outcome.

An employment is confirmed by the employer or by an employment-insurance record; a citizen's
own report is kept but waits for one of those. Reports of the same job (same person, employer
and start date) from several sources are one employment, confirmed once.
"""

from dataclasses import dataclass

from shared.contracts.placement import EmploymentReported, ReportSource
from shared.envelope import derive_event_id

CONFIRMING_SOURCES = frozenset({ReportSource.EMPLOYER, ReportSource.EMPLOYMENT_INSURANCE})


@dataclass(frozen=True)
class Assessment:
    employment_id: str
    confirms: bool


def employment_id(report: EmploymentReported) -> str:
    return derive_event_id(
        "employment",
        report.applicant_id,
        report.employer.business_no,
        report.start_date.isoformat(),
    )


def assess_report(report: EmploymentReported) -> Assessment:
    return Assessment(employment_id(report), confirms=report.source in CONFIRMING_SOURCES)
