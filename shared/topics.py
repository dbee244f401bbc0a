"""Topic names of the published contract (../shared/contracts.md), in one place."""

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


def dead_letter_topic(topic: str) -> str:
    """Bad input from `topic` goes here, with the original bytes and the reason."""
    return f"{topic}.dlq"


# The topics a deployment must create: every contract topic and its dead-letter topic.
ALL_TOPICS: tuple[str, ...] = tuple(
    name for topic in Topic for name in (topic.value, dead_letter_topic(topic.value))
)
