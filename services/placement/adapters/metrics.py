"""Placement's Prometheus gauges: employment within six months of completion, per program and
cohort, campus and term, refreshed from the store (periodically, and whenever the rates are
asked for)."""

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Gauge

from ..domain.outcomes import ProgramOutcome


class OutcomeGauges:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["program", "cohort"]
        self.completed = Gauge(
            "ilteo_placement_completions",
            "Course completions, per program and cohort",
            labels,
            registry=registry,
        )
        self.employed = Gauge(
            "ilteo_placement_employed_within_6_months",
            "Completions followed by a confirmed job starting within 6 calendar months",
            labels,
            registry=registry,
        )
        self.rate = Gauge(
            "ilteo_placement_employment_rate",
            "Employed within 6 months / completions, per program and cohort "
            '(cohort="" is the whole program)',
            labels,
            registry=registry,
        )
        self.group_rate = Gauge(
            "ilteo_placement_employment_rate_by_group",
            "Employed within 6 months / completions, per program and campus "
            '(grouping="campus", group=campus id) or term (grouping="term", group="2025-H2")',
            ["program", "grouping", "group"],
            registry=registry,
        )

    def show(self, programs: Sequence[ProgramOutcome]) -> None:
        for gauge in (self.completed, self.employed, self.rate, self.group_rate):
            gauge.clear()  # a cohort no longer in the store disappears
        for program in programs:
            rows = [("", program.rate)] + [(c.cohort_id, c.rate) for c in program.cohorts]
            for cohort, rate in rows:
                self.completed.labels(program.program_name, cohort).set(rate.completed)
                self.employed.labels(program.program_name, cohort).set(rate.employed)
                if rate.rate is not None:
                    self.rate.labels(program.program_name, cohort).set(rate.rate)
            for grouping, groups in (("campus", program.campuses), ("term", program.terms)):
                for group in groups:
                    if group.rate.rate is not None:
                        self.group_rate.labels(program.program_name, grouping, group.group).set(
                            group.rate.rate
                        )
