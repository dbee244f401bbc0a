"""HTTP routes of the notify service: they translate, the use cases decide.

Who may call what (shared/auth.py): a citizen reads their own notification history (operators
of every program and auditors may too); operators read the templates and their previews."""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from shared.auth import CitizenOrStaff, Operator

from .. import use_cases
from ..domain.channels import Channel
from ..domain.notification import HistoryEntry, Status
from ..use_cases import Ports


class NotificationView(BaseModel):
    """A notification to a citizen, with its delivery status; the contact masked."""

    notification_id: str
    source_event_id: str
    source_event_type: str
    template: str
    channel: Channel
    kind: str | None  # SMS, LMS or EMAIL; none when the message could not be written
    recipient_masked: str
    urgent: bool
    status: Status
    attempts: int
    due_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, entry: HistoryEntry) -> "NotificationView":
        return cls(
            notification_id=entry.notification_id,
            source_event_id=entry.source_event_id,
            source_event_type=entry.source_event_type,
            template=entry.template,
            channel=entry.channel,
            kind=entry.message_kind,
            recipient_masked=entry.recipient_masked,
            urgent=entry.urgent,
            status=entry.status,
            attempts=entry.attempts,
            due_at=entry.due_at,
            last_error=entry.last_error,
            created_at=entry.created_at,
            finished_at=entry.finished_at,
        )


class CitizenNotifications(BaseModel):
    applicant_id: str
    notifications: list[NotificationView]


class TemplateView(BaseModel):
    name: str
    urgent: bool
    lms_subject: str


class SmsPreview(BaseModel):
    kind: Literal["SMS", "LMS"]
    subject: str | None
    text: str
    bytes_euc_kr: int


class EmailPreview(BaseModel):
    subject: str
    text: str
    html: str


class TemplatePreview(BaseModel):
    template: str
    sms: SmsPreview
    email: EmailPreview


def routes(ports: Ports) -> APIRouter:
    router = APIRouter()

    @router.get("/citizens/{applicant_id}/notifications", tags=["citizens"])
    async def history(applicant_id: str, who: CitizenOrStaff) -> CitizenNotifications:
        """Every notification to a citizen, with delivery status; contacts masked."""
        who.require_self_or_staff(applicant_id)
        entries = await use_cases.history_of(ports, applicant_id)
        return CitizenNotifications(
            applicant_id=applicant_id,
            notifications=[NotificationView.of(entry) for entry in entries],
        )

    @router.get("/templates", tags=["operators"])
    async def templates(_: Operator) -> list[TemplateView]:
        return [
            TemplateView(name=t.name, urgent=t.urgent, lms_subject=t.lms_subject)
            for t in use_cases.templates(ports)
        ]

    @router.get("/templates/{name}/preview", tags=["operators"])
    async def preview(name: str, _: Operator) -> TemplatePreview:
        """Render a template with its sample data: the SMS/LMS text and both e-mail parts."""
        try:
            rendered = use_cases.preview(ports, name)
        except KeyError as error:
            raise HTTPException(404, [{"field": "name", "problem": "no such template"}]) from error
        sms, email = rendered.sms, rendered.email
        return TemplatePreview(
            template=name,
            sms=SmsPreview(
                kind=sms.kind, subject=sms.subject, text=sms.text, bytes_euc_kr=sms.byte_length
            ),
            email=EmailPreview(subject=email.subject, text=email.text, html=email.html),
        )

    return router
