"""E-mail over SMTP: what a mail server answers decides the e-mail's fate by the domain's rule
(each refused recipient's reply code is classified like any reply, so a greylisting 450 is
tried again and only a 5xx fails for good; the sender reports the codes and decides
nothing), and every message reads back as it was written."""

import email
import email.policy
from collections.abc import Iterator
from dataclasses import astuple
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from deploy.local.stack import free_port
from services.notify.adapters.senders import EmailContent, SmsGateway, SmtpReply, SmtpSender
from services.notify.adapters.templates import default_library
from services.notify.domain.catalog import template
from services.notify.domain.message import EmailText
from services.notify.domain.notification import Notification, Planned, Recipient
from services.notify.domain.quiet_hours import QuietHours
from services.notify.domain.retry import Verdict, classify_smtp_attempt
from services.notify.domain.samples import SAMPLES, sample
from services.notify.providers import Providers
from shared.clock import now_kst
from shared.contracts.recruitment import Consents


@pytest.mark.parametrize(
    ("refused", "verdict"),
    [
        ((450,), Verdict.TRANSIENT),  # greylisted: try again later
        ((451,), Verdict.TRANSIENT),
        ((452,), Verdict.TRANSIENT),  # mailbox full
        ((550,), Verdict.PERMANENT),  # no such user
        ((553,), Verdict.PERMANENT),
        ((550, 450), Verdict.TRANSIENT),  # one recipient may still take it
        ((550, 551), Verdict.PERMANENT),
    ],
)
def test_a_refused_recipient_is_judged_by_its_own_reply_code(
    refused: tuple[int, ...], verdict: Verdict
) -> None:
    assert classify_smtp_attempt(None, refused) is verdict


@pytest.mark.parametrize(
    ("code", "verdict"),
    [(250, Verdict.DELIVERED), (421, Verdict.TRANSIENT), (None, Verdict.TRANSIENT)],
)
def test_without_a_refused_recipient_the_last_reply_decides(
    code: int | None, verdict: Verdict
) -> None:
    assert classify_smtp_attempt(code) is verdict


# -- the live path: a real SMTP server refusing the recipient, the real sender -----------------
class Recipients:
    """An aiosmtpd handler that answers RCPT TO with `reply` (None: accepts)."""

    def __init__(self, reply: str | None) -> None:
        self.reply = reply
        self.received: list[bytes] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.reply is not None:
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.content)
        return "250 Message accepted"


def mail_server(reply: str | None) -> Iterator[tuple[int, Recipients]]:
    handler = Recipients(reply)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


@pytest.fixture
def greylisting() -> Iterator[tuple[int, Recipients]]:
    yield from mail_server("450 4.2.0 Greylisted, please try again later")


@pytest.fixture
def unknown_user() -> Iterator[tuple[int, Recipients]]:
    yield from mail_server("550 5.1.1 No such user")


@pytest.fixture
def accepting() -> Iterator[tuple[int, Recipients]]:
    yield from mail_server(None)


MAIL = EmailContent("<n-1@jobs.seoul.example>", "hong@example.com", "안내", "본문\n", "<p>본문</p>")


async def never() -> None:
    raise AssertionError("a refused message was recorded as taken")


async def test_the_sender_reports_the_code_a_greylisting_server_refused_the_recipient_with(
    greylisting: tuple[int, Recipients],
) -> None:
    port, _ = greylisting

    reply = await SmtpSender("127.0.0.1", port, "noreply@jobs.seoul.example").send(MAIL, never)

    assert reply == SmtpReply(None, (450,), "recipient refused: SMTP 450")


def email_notification() -> Planned:
    recipient = Recipient(
        "P-7F3A21", "홍길동", None, "hong@example.com", Consents(sms=False, email=True)
    )
    now = now_kst()
    notification = Notification.plan(
        source_event_id="e-1",
        source_event_type="recruitment.application.submitted",
        recipient=recipient,
        channel="email",
        template=template("application_received"),
        now=now,
        quiet_hours=QuietHours(),
    )
    return Planned(notification, EmailText("안내", "본문\n", "<p>본문</p>"), None, now, "A-1", now)


def providers(smtp_port: int) -> Providers:
    return Providers(
        SmsGateway("http://127.0.0.1:9/send", "", "15889999"),
        SmtpSender("127.0.0.1", smtp_port, "noreply@jobs.seoul.example"),
        sms_rate=100,
        email_rate=50,
    )


async def test_an_email_to_a_greylisting_server_is_tried_again_later(
    greylisting: tuple[int, Recipients],
) -> None:
    port, handler = greylisting

    verdict, detail = await providers(port).send(email_notification(), never)

    assert verdict is Verdict.TRANSIENT
    assert detail == "recipient refused: SMTP 450"
    assert handler.received == []


async def test_an_email_to_an_unknown_user_fails_for_good(
    unknown_user: tuple[int, Recipients],
) -> None:
    port, _ = unknown_user

    verdict, detail = await providers(port).send(email_notification(), never)

    assert verdict is Verdict.PERMANENT
    assert detail == "recipient refused: SMTP 550"


async def test_an_email_the_server_takes_is_delivered_and_recorded_the_moment_it_is_taken(
    accepting: tuple[int, Recipients],
) -> None:
    port, handler = accepting
    recorded: list[int] = []

    async def accepted() -> None:
        recorded.append(len(handler.received))

    verdict, _ = await providers(port).send(email_notification(), accepted)

    assert verdict is Verdict.DELIVERED
    assert recorded == [1]
    planned = email_notification()
    assert f"<{planned.notification_id}@jobs.seoul.example>".encode() in handler.received[0]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_email_reads_back_as_it_was_written(name: str) -> None:
    mail = default_library().render_email(name, sample(name).context())
    content = EmailContent("<n-1@jobs.seoul.example>", "hong@example.com", *astuple(mail))

    raw = SmtpSender("127.0.0.1", 25, "noreply@jobs.seoul.example").message(content)

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert (parsed["Subject"], parsed["Message-ID"], parsed["To"]) == (
        mail.subject,
        "<n-1@jobs.seoul.example>",
        "hong@example.com",
    )
    for subtype, part in (("plain", mail.text), ("html", mail.html)):
        body = parsed.get_body((subtype,))
        assert body is not None and body.get_content() == part
    assert max(len(line) for line in raw.splitlines()) <= 998  # RFC 5322's line limit
