"""Topic names of the published contract (../shared/contracts.md), in one place; below them,
apart, the internal topics of a service."""

from enum import StrEnum


class Topic(StrEnum):
    # inbound: partner systems publish here
    APPLICATION_SUBMITTED = "recruitment.application.submitted"
    EMPLOYMENT_REPORTED = "placement.employment.reported"
    # outbound
    APPLICATION_SCREENED = "recruitment.application.screened"
    APPLICATION_SELECTED = "recruitment.application.selected"
    APPLICATION_WAITLISTED = "recruitment.application.waitlisted"
    APPLICATION_REJECTED = "recruitment.application.rejected"
    ENROLLMENT_CONFIRMED = "enrollment.enrollment.confirmed"
    ENROLLMENT_WITHDRAWN = "enrollment.enrollment.withdrawn"
    ENROLLMENT_COMPLETED = "enrollment.enrollment.completed"
    COHORT_FILLED = "enrollment.cohort.filled"
    WAITLIST_PROMOTED = "enrollment.waitlist.promoted"
    EMPLOYMENT_CONFIRMED = "placement.employment.confirmed"
    NOTIFICATION_SENT = "notify.notification.sent"
    NOTIFICATION_FAILED = "notify.notification.failed"


# -- internal ---------------------------------------------------------------------------------
# Not part of the published contract: topics a service uses inside itself. Partner systems
# neither read nor write them, and their payloads may change with the service.


class InternalTopic(StrEnum):
    # enrollment's seat commands, keyed by cohort_id: the partition key makes the one consumer
    # that owns a cohort's partition the only writer of its seats (docs/decisions/0004)
    SEAT_COMMANDS = "enrollment.internal.seat-commands"
    # placement's assignment commands, keyed by call_id: the one consumer that owns a call's
    # partition is the only writer of its positions (docs/decisions/0005)
    ASSIGNMENT_COMMANDS = "placement.internal.assignment-commands"
    # placement's events for the platform's other services (not in the published contract;
    # payloads in shared/contracts/placement.py): a public-job position assigned (notify tells
    # the citizen), and employment first, study later (enrollment offers the course)
    PUBLIC_JOB_ASSIGNED = "placement.public-job.assigned"
    STUDY_PATHWAY_OPENED = "placement.study-pathway.opened"


def dead_letter_topic(topic: str) -> str:
    """Bad input from `topic` goes here, with the original bytes and the reason."""
    return f"{topic}.dlq"


# The topics a deployment must create: every contract and internal topic and its dead-letter
# topic.
ALL_TOPICS: tuple[str, ...] = tuple(
    name
    for topic in (*Topic, *InternalTopic)
    for name in (topic.value, dead_letter_topic(topic.value))
)
