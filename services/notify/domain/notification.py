"""A notification: one message about one event to one citizen on one channel.

Its id is derived from the event and the channel, so a redelivered event, a restarted
consumer or an SMS gateway that sees a retry all recognise the same notification: the
citizen hears about each step once per channel.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from random import Random

from services.notify.domain.catalog import Template
from services.notify.domain.channels import Channel, email_fallback, plan_channels
from services.notify.domain.message import EmailText, SmsText
from services.notify.domain.quiet_hours import QuietHours
from services.notify.domain.retry import RetryPolicy, Verdict
from shared.contracts.recruitment import ApplicationSubmitted, Consents
from shared.masking import mask_email, mask_phone

_NOTIFICATION_NAMESPACE = uuid.UUID("3f9d2c61-8a4e-4b7f-9c15-6e0d4a2b7c83")
MESSAGE_ID_DOMAIN = "jobs.seoul.example"


def receipt_of(application_id: str) -> str:
    """What an application's receipt tells about: the application, however often it is sent
    (a partner re-sending it under a new event id gets one receipt)."""
    return f"receipt:{application_id}"


def notification_id(source_event_id: str, channel: Channel) -> str:
    return str(uuid.uuid5(_NOTIFICATION_NAMESPACE, f"{source_event_id}\x1f{channel}"))


def email_message_id(notification_id: str, domain: str = MESSAGE_ID_DOMAIN) -> str:
    """The e-mail Message-ID header (RFC 5322): a resent e-mail is recognisably the same one."""
    return f"<{notification_id}@{domain}>"


@dataclass(frozen=True)
class Recipient:
    """How to reach a citizen. Only the application carries it; later events name the id."""

    applicant_id: str
    name: str
    phone: str | None  # digits only, as the gateway wants them: 01012345678
    email: str | None
    consents: Consents

    @classmethod
    def from_application(cls, application: ApplicationSubmitted) -> "Recipient":
        applicant = application.applicant
        return cls(
            applicant.applicant_id,
            applicant.name,
            applicant.phone_digits,
            applicant.email,
            applicant.consents,
        )

    def reachable(self, undeliverable_phones: Collection[str]) -> "Recipient":
        """This recipient without a phone number the gateway has refused for good."""
        if self.phone is None or self.phone not in undeliverable_phones:
            return self
        return replace(self, phone=None)

    def channels(self) -> list[Channel]:
        return plan_channels(self.consents, self.phone, self.email)

    def address(self, channel: Channel) -> str:
        address = self.phone if channel == "sms" else self.email
        if not address:
            raise ValueError(f"{self.applicant_id} has no {channel} contact")
        return address


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass
class Notification:
    notification_id: str
    source_event_id: str
    source_event_type: str
    applicant_id: str
    channel: Channel
    template: str
    recipient: str
    urgent: bool
    due_at: datetime  # not before this: quiet hours, backoff, an open breaker
    status: Status = Status.PENDING
    attempts: int = 0
    last_error: str | None = None
    finished_at: datetime | None = None

    @classmethod
    def plan(
        cls,
        *,
        source_event_id: str,
        source_event_type: str,
        recipient: Recipient,
        channel: Channel,
        template: Template,
        now: datetime,
        quiet_hours: QuietHours,
        told_about: str | None = None,
    ) -> "Notification":
        """`told_about` names what the citizen is told about when two events tell the same
        (a partner re-sending an application under a new event id): one notification for
        both. Left out, the source event is what is told."""
        return cls(
            notification_id=notification_id(told_about or source_event_id, channel),
            source_event_id=source_event_id,
            source_event_type=source_event_type,
            applicant_id=recipient.applicant_id,
            channel=channel,
            template=template.name,
            recipient=recipient.address(channel),
            urgent=template.urgent,
            due_at=quiet_hours.deliver_at(now, template.urgent),
        )

    @property
    def recipient_masked(self) -> str:
        return mask_phone(self.recipient) if self.channel == "sms" else mask_email(self.recipient)

    @property
    def finished(self) -> bool:
        return self.status is not Status.PENDING

    def record_attempt(
        self,
        verdict: Verdict,
        now: datetime,
        *,
        error: str | None = None,
        retry_policy: RetryPolicy,
        quiet_hours: QuietHours,
        rng: Random,
    ) -> None:
        """Count one attempt to hand the message to the provider, and decide what follows."""
        if self.finished:
            raise ValueError(f"notification {self.notification_id} is already {self.status}")
        self.attempts += 1
        if verdict is Verdict.DELIVERED:
            self.status, self.finished_at, self.last_error = Status.SENT, now, None
            return
        self.last_error = error or verdict.value
        retry_at = (
            retry_policy.next_attempt_at(self.attempts, now, rng)
            if verdict is Verdict.TRANSIENT
            else None
        )
        if retry_at is None:
            self.status, self.finished_at = Status.FAILED, now
        else:
            # A retry is a new delivery: it respects quiet hours like the first one.
            self.due_at = quiet_hours.deliver_at(retry_at, self.urgent)

    def postpone(self, until: datetime, quiet_hours: QuietHours) -> None:
        """Wait without spending an attempt (an open breaker, a full rate limit)."""
        self.due_at = quiet_hours.deliver_at(max(self.due_at, until), self.urgent)

    def fail(self, error: str, now: datetime) -> None:
        """Give up without an attempt: the message cannot be written (a TemplateError)."""
        self.status, self.finished_at, self.last_error = Status.FAILED, now, error

    def fallback(
        self,
        recipient: Recipient,
        planned: Collection[Channel],
        template: Template,
        now: datetime,
        quiet_hours: QuietHours,
    ) -> "Notification | None":
        """The e-mail that tells the citizen instead, once this SMS failed for good; None
        when there is none to send (see `email_fallback`: consent, an address, and no e-mail
        planned for the event already). `recipient` is the citizen as known now, which may
        differ from when the SMS was planned (a later application gave an e-mail address).
        Its id is the one an e-mail planned for the event would have had: never two."""
        if self.status is not Status.FAILED:
            return None
        channel = email_fallback(self.channel, recipient.consents, recipient.email, planned)
        if channel is None:
            return None
        return Notification.plan(
            source_event_id=self.source_event_id,
            source_event_type=self.source_event_type,
            recipient=recipient,
            channel=channel,
            template=template,
            now=now,
            quiet_hours=quiet_hours,
        )


@dataclass
class Planned:
    """A notification with what it says and where it comes from, as planned."""

    notification: Notification
    message: SmsText | EmailText | None  # None: it could not be written (it failed at once)
    # An SMS with no e-mail planned beside it keeps the e-mail text: should the number turn
    # out dead, the citizen is told by e-mail instead (`Notification.fallback`).
    fallback_email: EmailText | None
    source_occurred_at: datetime | None
    correlation_id: str
    created_at: datetime

    @property
    def notification_id(self) -> str:
        return self.notification.notification_id

    @property
    def message_kind(self) -> str | None:
        if isinstance(self.message, SmsText):
            return self.message.kind
        return None if self.message is None else "EMAIL"


@dataclass(frozen=True)
class HistoryEntry:
    """A notification as a citizen's history shows it: no contact but masked, no text."""

    notification_id: str
    source_event_id: str
    source_event_type: str
    template: str
    channel: Channel
    message_kind: str | None
    recipient_masked: str
    urgent: bool
    status: Status
    attempts: int
    due_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
