"""Enrollment's business metrics, beside every service's (shared/metrics.py).

Counters go up where the facts are written, once per fact (an entry refused by the fence
counts nothing). Gauges describe the database, not this instance: a background loop sets them
from the seat log and the survey responses, so every instance reports the same values whichever
one wrote a cohort.
"""

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge

from ..domain.cohort import Cohort
from ..domain.seats import Fact, FactKind
from ..domain.survey import Averages
from .seat_log import Summary

_OFFER_OUTCOMES = {
    FactKind.OFFERED: "made",
    FactKind.PROMOTED: "made",
    FactKind.CONFIRMED: "accepted",
    FactKind.DECLINED: "declined",
    FactKind.EXPIRED: "expired",
}


class EnrollmentMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.offers = Counter(
            "ilteo_seat_offers",
            "Seat offers by outcome: made (to the selected or from the waitlist), accepted, "
            "declined, expired",
            ["program", "outcome"],
            registry=registry,
        )
        self.promotions = Counter(
            "ilteo_waitlist_promotions",
            "Freed seats offered to the next in line",
            ["program"],
            registry=registry,
        )
        self.endings = Counter(
            "ilteo_enrollment_endings",
            "Enrollments that ended: completed, dropped_out (attendance below the rate), withdrawn",
            ["program", "outcome"],
            registry=registry,
        )
        self.fillings = Counter(
            "ilteo_cohorts_filled",
            "Times a cohort became full",
            ["program"],
            registry=registry,
        )
        self.fill_ratio = Gauge(
            "ilteo_cohort_fill_ratio",
            "Seats taken (confirmed, then completed or dropped out) per seat, by cohort",
            ["cohort"],
            registry=registry,
        )
        self.seats = Gauge(
            "ilteo_cohort_seats",
            "Seats of a cohort by status (offered, confirmed, waiting, ...)",
            ["cohort", "status"],
            registry=registry,
        )
        self.survey_average = Gauge(
            "ilteo_survey_average_score",
            "Mean satisfaction score (1-5) per question, by program, cohort or campus",
            ["scope", "id", "question"],
            registry=registry,
        )
        self.survey_responses = Gauge(
            "ilteo_survey_responses",
            "Survey responses, by program, cohort or campus",
            ["scope", "id"],
            registry=registry,
        )

    def count(self, program_id: str, facts: Iterable[Fact]) -> None:
        for fact in facts:
            outcome = _OFFER_OUTCOMES.get(fact.kind)
            if outcome is not None:
                self.offers.labels(program_id, outcome).inc()
            if fact.kind is FactKind.PROMOTED:
                self.promotions.labels(program_id).inc()
            elif fact.kind is FactKind.FILLED:
                self.fillings.labels(program_id).inc()
            elif fact.kind in (FactKind.COMPLETED, FactKind.DROPPED_OUT) or (
                # a withdrawal from the waitlist ends no enrollment
                fact.kind is FactKind.WITHDRAWN and fact.seat and fact.seat.offered_at
            ):
                self.endings.labels(program_id, fact.kind.value).inc()

    def show_seats(self, cohorts: dict[str, Cohort], summaries: Iterable[Summary]) -> None:
        for summary in summaries:
            cohort = cohorts.get(summary.cohort_id)
            if cohort is None:
                continue
            taken = sum(summary.counts.get(s, 0) for s in ("confirmed", "completed", "dropped_out"))
            self.fill_ratio.labels(cohort.id).set(taken / cohort.capacity)
            for status, number in summary.counts.items():
                self.seats.labels(cohort.id, status).set(number)

    def show_survey(self, averages: Iterable[Averages]) -> None:
        for group in averages:
            self.survey_responses.labels(group.scope.value, group.id).set(group.responses)
            for question, score in group.averages.items():
                self.survey_average.labels(group.scope.value, group.id, question.value).set(score)
