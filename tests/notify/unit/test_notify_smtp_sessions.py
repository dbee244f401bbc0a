"""notify's SMTP sender keeps its sessions open and sends one e-mail after another over each,
against a real (in-process aiosmtpd) mail server that counts the sessions it was asked for:
never more than `connections` of them, a session the server dropped costs no e-mail, one idle
too long is not reused, and a refusal inside a session changes nothing about what is reported
(`test_notify_smtp_replies.py` says what each reply means)."""

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from deploy.local.stack import free_port
from services.notify.adapters.senders import EmailContent, SmtpReply, SmtpSender
from services.notify.domain.retry import Verdict, classify_smtp_attempt

FROM = "noreply@jobs.seoul.example"
EHLO_NAME = "notify.jobs.seoul.example"


@dataclass
class MailServer:
    """An aiosmtpd handler that keeps what it saw: each session (by its EHLO), each message,
    each QUIT. Recipients in `refuse` get that RCPT reply; with `closing_on_mail` set, the
    next MAIL FROM is answered 421 (the server closing an idle session)."""

    sessions: list[Any] = field(default_factory=list)  # the server's protocol of each session
    ehlo_names: list[str] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)
    quits: int = 0
    refuse: dict[str, str] = field(default_factory=dict)
    closing_on_mail: bool = False

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname  # the 5-argument hook leaves it to us
        self.sessions.append(server)
        self.ehlo_names.append(hostname)
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.closing_on_mail:
            self.closing_on_mail = False
            return "421 4.4.2 Idle too long, closing connection"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.content)
        return "250 Message accepted"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        self.quits += 1
        return "221 Bye"


@dataclass
class Relay:
    port: int
    server: MailServer
    controller: Controller

    def hang_up(self, session: int) -> None:
        """The server drops that session, as servers do with idle clients; returns once
        its socket is closed."""
        closed = threading.Event()

        def drop() -> None:
            self.server.sessions[session].transport.abort()
            self.controller.loop.call_soon(closed.set)  # after the socket's close, queued first

        self.controller.loop.call_soon_threadsafe(drop)
        assert closed.wait(5)


@pytest.fixture
def relay() -> Iterator[Relay]:
    server = MailServer()
    port = free_port()
    # Named, so that the server never calls getfqdn itself (one test counts those calls).
    controller = Controller(
        server, hostname="127.0.0.1", port=port, server_hostname="relay.jobs.seoul.example"
    )
    controller.start()
    try:
        yield Relay(port, server, controller)
    finally:
        controller.stop()


def mail(n: int, to: str = "hong@example.com") -> EmailContent:
    return EmailContent(f"<n-{n}@jobs.seoul.example>", to, f"안내 {n}", "본문\n", "<p>본문</p>")


def sender(relay: Relay, **options: Any) -> SmtpSender:
    return SmtpSender("127.0.0.1", relay.port, FROM, local_hostname=EHLO_NAME, **options)


def message_ids(relay: Relay) -> list[int]:
    """The n of each message the server received, in order."""
    ids = []
    for raw in relay.server.received:
        start = raw.index(b"<n-") + 3
        ids.append(int(raw[start : raw.index(b"@", start)]))
    return ids


async def test_twenty_emails_one_after_another_go_over_one_kept_session(relay: Relay) -> None:
    smtp = sender(relay, connections=2)
    recorded: list[int] = []

    for n in range(20):

        async def accepted(n: int = n) -> None:
            recorded.append(n)

        assert await smtp.send(mail(n), accepted) == SmtpReply(250)

    # One after another, the session given back is the one taken next: a second is never
    # needed, let alone more than `connections`.
    assert len(relay.server.sessions) == 1
    assert message_ids(relay) == list(range(20))
    assert recorded == list(range(20))
    assert relay.server.ehlo_names == [EHLO_NAME]


async def test_twenty_emails_sent_at_once_never_open_more_sessions_than_allowed(
    relay: Relay,
) -> None:
    smtp = sender(relay, connections=3)

    replies = await asyncio.gather(*(smtp.send(mail(n)) for n in range(20)))

    assert replies == [SmtpReply(250)] * 20
    assert len(relay.server.sessions) == 3
    assert sorted(message_ids(relay)) == list(range(20))


@pytest.mark.parametrize("noticed", [True, False], ids=["noticed", "unnoticed"])
async def test_an_email_on_a_session_the_server_dropped_meanwhile_is_delivered_once(
    relay: Relay, noticed: bool
) -> None:
    smtp = sender(relay)
    assert await smtp.send(mail(1)) == SmtpReply(250)

    relay.hang_up(0)
    if noticed:  # the sender saw the close before the next e-mail came
        await asyncio.sleep(0.2)
    # Unnoticed, the sender only finds out on the dead session and tries once on a new one.
    reply = await smtp.send(mail(2))

    assert reply == SmtpReply(250)
    assert message_ids(relay) == [1, 2]
    assert len(relay.server.sessions) == 2


async def test_a_server_closing_a_reused_session_with_421_costs_no_email(relay: Relay) -> None:
    smtp = sender(relay)
    assert await smtp.send(mail(1)) == SmtpReply(250)

    relay.server.closing_on_mail = True
    reply = await smtp.send(mail(2))

    assert reply == SmtpReply(250)
    assert message_ids(relay) == [1, 2]
    assert len(relay.server.sessions) == 2


async def test_a_421_on_a_new_session_is_reported_and_not_tried_again(relay: Relay) -> None:
    relay.server.closing_on_mail = True

    reply = await sender(relay).send(mail(1))

    assert reply == SmtpReply(421, detail="SMTP 421")
    assert classify_smtp_attempt(reply.code) is Verdict.TRANSIENT
    assert relay.server.received == []


async def never() -> None:
    raise AssertionError("a refused message was recorded as taken")


async def test_an_unknown_user_on_a_reused_session_is_reported_and_the_next_email_arrives(
    relay: Relay,
) -> None:
    relay.server.refuse["nobody@example.com"] = "550 5.1.1 No such user"
    smtp = sender(relay)
    assert await smtp.send(mail(1)) == SmtpReply(250)

    refused = await smtp.send(mail(2, to="nobody@example.com"), never)
    after = await smtp.send(mail(3))

    assert refused == SmtpReply(None, (550,), "recipient refused: SMTP 550")
    assert classify_smtp_attempt(refused.code, refused.refused_recipients) is Verdict.PERMANENT
    assert after == SmtpReply(250)
    assert message_ids(relay) == [1, 3]
    assert len(relay.server.sessions) == 1  # reset with RSET, not closed


async def test_a_greylisting_reply_on_a_reused_session_stays_transient(relay: Relay) -> None:
    relay.server.refuse["grey@example.com"] = "450 4.2.0 Greylisted, please try again later"
    smtp = sender(relay)
    assert await smtp.send(mail(1)) == SmtpReply(250)

    greylisted = await smtp.send(mail(2, to="grey@example.com"), never)
    after = await smtp.send(mail(3))

    assert greylisted == SmtpReply(None, (450,), "recipient refused: SMTP 450")
    assert classify_smtp_attempt(None, greylisted.refused_recipients) is Verdict.TRANSIENT
    assert after == SmtpReply(250)
    assert message_ids(relay) == [1, 3]


async def test_a_session_idle_longer_than_allowed_is_closed_not_reused(relay: Relay) -> None:
    now = [0.0]
    smtp = sender(relay, idle_seconds=30.0, monotonic=lambda: now[0])
    assert await smtp.send(mail(1)) == SmtpReply(250)
    now[0] = 20.0
    assert await smtp.send(mail(2)) == SmtpReply(250)

    now[0] = 51.0  # 31 s after the last e-mail
    assert await smtp.send(mail(3)) == SmtpReply(250)

    assert len(relay.server.sessions) == 2
    assert message_ids(relay) == [1, 2, 3]


async def test_the_ehlo_name_is_looked_up_once_per_sender(
    relay: Relay, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[str] = []

    def getfqdn(name: str = "") -> str:
        lookups.append(name)
        return EHLO_NAME

    monkeypatch.setattr(socket, "getfqdn", getfqdn)
    smtp = SmtpSender("127.0.0.1", relay.port, FROM, connections=3)

    await asyncio.gather(*(smtp.send(mail(n)) for n in range(6)))

    assert len(lookups) == 1
    assert relay.server.ehlo_names == [EHLO_NAME] * 3


async def test_closing_the_sender_says_quit_on_every_open_session(relay: Relay) -> None:
    smtp = sender(relay, connections=2)
    await asyncio.gather(*(smtp.send(mail(n)) for n in range(4)))

    await smtp.close()

    assert len(relay.server.sessions) == 2
    assert relay.server.quits == 2


async def test_an_unreachable_server_is_reported_as_no_answer() -> None:
    smtp = SmtpSender("127.0.0.1", free_port(), FROM, local_hostname=EHLO_NAME)

    reply = await smtp.send(mail(1), never)

    assert reply.code is None and reply.refused_recipients == ()
    assert classify_smtp_attempt(reply.code) is Verdict.TRANSIENT
