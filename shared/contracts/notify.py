"""notify.notification.* payloads (key: `notification_id`)."""

from typing import Literal

from pydantic import AwareDatetime

from shared.contracts.common import ContractModel

NotificationChannel = Literal["sms", "email"]


class NotificationSent(ContractModel):
    notification_id: str
    source_event_id: str
    source_event_type: str
    applicant_id: str
    channel: NotificationChannel
    template: str
    recipient_masked: str
    message_kind: Literal["SMS", "LMS", "EMAIL"]
    attempts: int
    sent_at: AwareDatetime


class NotificationFailed(ContractModel):
    notification_id: str
    source_event_id: str
    source_event_type: str
    applicant_id: str
    channel: NotificationChannel
    template: str
    recipient_masked: str
    attempts: int
    error: str
    failed_at: AwareDatetime
