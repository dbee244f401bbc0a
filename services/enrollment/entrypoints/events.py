"""Kafka subscribers of the enrollment service: they translate, the use cases decide."""

from shared.contracts.placement import StudyPathwayOpened
from shared.contracts.recruitment import ApplicationDecided
from shared.envelope import Envelope
from shared.service import ServiceRuntime
from shared.topics import InternalTopic, Topic

from .. import use_cases
from ..domain.commands import SeatCommand
from ..use_cases import Ports


def subscribe(runtime: ServiceRuntime, ports: Ports) -> None:
    @runtime.subscribe(
        Topic.APPLICATION_SELECTED,
        ApplicationDecided,
        "An applicant was selected: offered a seat in the cohort the call fills.",
    )
    async def application_selected(events: list[Envelope[ApplicationDecided]]) -> None:
        await use_cases.take_selections(ports, events)

    @runtime.subscribe(
        Topic.APPLICATION_WAITLISTED,
        ApplicationDecided,
        "An applicant was waitlisted: joins the waitlist of the cohort the call fills.",
    )
    async def application_waitlisted(events: list[Envelope[ApplicationDecided]]) -> None:
        await use_cases.take_waitlistings(ports, events)

    @runtime.subscribe(
        InternalTopic.STUDY_PATHWAY_OPENED,
        StudyPathwayOpened,
        "Hired at a pathway partner (선취업-후학습): offered a seat in the linked course.",
    )
    async def study_pathway_opened(events: list[Envelope[StudyPathwayOpened]]) -> None:
        await use_cases.take_study_pathways(ports, events)

    @runtime.subscribe(
        InternalTopic.SEAT_COMMANDS,
        SeatCommand,
        "Internal, key cohort_id: every change to a cohort's seats, applied by its one writer.",
    )
    async def seat_commands(events: list[Envelope[SeatCommand]]) -> None:
        await use_cases.apply_seat_commands(ports, events)
