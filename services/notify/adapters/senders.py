"""The two ways a message leaves the city: the SMS gateway (contracts.md) and SMTP.

A sender reports what the provider answered, as raw facts (the HTTP status, the SMTP reply
codes, or that no answer came), and never raises for a provider's answer: what an answer
means (delivered, try again, never) is the domain's to decide (`domain/retry.py`).

Each also takes `accepted`, awaited the moment the provider has taken the message and before
anything else happens (for SMTP, the moment the server answered 250 to the end of the data):
the caller records the delivery there, so that the time in which a crash makes it send the
message again is as short as it can be.

Both keep their connections open and send one message after another over each: up to
`connections` HTTP connections to the gateway, up to `connections` SMTP sessions to the mail
server.
"""

import asyncio
import contextlib
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from typing import Literal

import aiohttp
import aiosmtplib

Accepted = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


@dataclass(frozen=True)
class SmsMessage:
    message_id: str
    to: str
    kind: Literal["SMS", "LMS"]
    text: str
    subject: str | None = None


@dataclass(frozen=True)
class GatewayReply:
    """The gateway's HTTP status; None when no answer came (a timeout, a refused connection)."""

    status: int | None
    detail: str = ""


@dataclass(frozen=True)
class EmailContent:
    message_id: str  # the Message-ID header, angle brackets included
    to: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class SmtpReply:
    """The server's last reply code (None when the connection failed or timed out), and when
    it refused the recipients, each refused recipient's own reply code."""

    code: int | None
    refused_recipients: tuple[int, ...] = ()
    detail: str = ""


SMTP_OK = 250


class SmsGateway:
    """Up to `connections` requests at once, over kept-alive connections.

    aiohttp rather than httpx: against the local gateway, measured 0.4 ms of CPU a request
    against 1.3-1.8 ms (httpx with a client per connection, its cheapest layout). At the
    bench's 1,000 SMS/s that was notify's largest cost, on a machine short of CPU."""

    def __init__(
        self,
        url: str,
        token: str,
        sender: str,
        timeout_seconds: float = 5.0,
        connections: int = 8,
    ) -> None:
        self._url = url
        self._sender = sender
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._connections = max(1, connections)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use: a session belongs to the event loop it was made in.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=self._connections),
            )
        return self._session

    async def send(self, sms: SmsMessage, accepted: Accepted = _nothing) -> GatewayReply:
        body: dict[str, str] = {
            "message_id": sms.message_id,
            "to": sms.to,
            "from": self._sender,
            "type": sms.kind,
            "text": sms.text,
        }
        if sms.kind == "LMS" and sms.subject:
            body["subject"] = sms.subject
        try:
            async with self._client().post(self._url, json=body) as response:
                status = response.status
                answer = await response.read()  # read whole: the connection is then kept
        except (aiohttp.ClientError, TimeoutError) as error:  # timeouts, refused connections
            return GatewayReply(None, type(error).__name__)
        if 200 <= status < 300:
            await accepted()
            return GatewayReply(status)
        if status == 429 or status >= 500:
            return GatewayReply(status, f"HTTP {status}")
        return GatewayReply(status, f"HTTP {status}: {answer.decode(errors='replace')[:200]}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


# A session the server may have dropped in the meantime: (the session, when it went idle).
IdleSession = tuple[aiosmtplib.SMTP, float]
# Shutdown waits a few seconds for everything (shared.service.SHUTDOWN_GRACE_SECONDS): a
# server slow to say goodbye must not hold it.
QUIT_SECONDS = 2.0
SMTP_CLOSING = 421  # the server is closing the session; it took nothing


class StaleSession(Exception):
    """A reused session turned out to have been closed by the server before it took the
    message: worth one try on a new session."""


class SmtpSender:
    """Up to `connections` SMTP sessions, each kept open and sending one message after
    another: a session's connect, EHLO, STARTTLS and login cost the sender and the mail server
    far more than a message does, and relays expect clients to reuse sessions.

    Idle sessions wait on a stack (the most recently used is taken first, so the others age
    out); one idle longer than `idle_seconds` is closed rather than reused, since servers
    drop idle clients. After an error reply a session is cleared with RSET; one left in
    doubt (a broken connection, a timeout, a failed RSET) is closed, never reused."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout_seconds: float = 10.0,
        connections: int = 4,
        idle_seconds: float = 30.0,
        local_hostname: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls = starttls
        self._timeout = timeout_seconds
        self._idle_seconds = idle_seconds
        # The EHLO name, looked up once here: aiosmtplib would otherwise call getfqdn (a DNS
        # lookup, perhaps) for every session.
        self._local_hostname = local_hostname or socket.getfqdn()
        self._monotonic = monotonic
        # A send holds a turn from taking a session to giving it back, so at most
        # `connections` sessions exist: a send opens one only when none is idle.
        self._turns = asyncio.Semaphore(max(1, connections))
        self._idle: deque[IdleSession] = deque()  # oldest first
        self._closed = False

    def message(self, mail: EmailContent) -> bytes:
        """The message as sent: text and HTML alternatives in UTF-8, the subject encoded as
        RFC 2047 says. (The `email` package's compat32 classes write the same MIME as its
        newer API at a quarter of the CPU.)"""
        message = MIMEMultipart("alternative")
        message["From"] = self._sender
        message["To"] = mail.to
        # compat32 takes a Header and writes it as encoded words (typeshed says only str).
        message["Subject"] = Header(mail.subject, "utf-8")  # type: ignore[assignment]
        message["Message-ID"] = mail.message_id
        message["Date"] = formatdate(localtime=False)
        message.attach(MIMEText(mail.text, "plain", "utf-8"))
        message.attach(MIMEText(mail.html, "html", "utf-8"))
        return message.as_bytes()

    async def send(self, mail: EmailContent, accepted: Accepted = _nothing) -> SmtpReply:
        message = self.message(mail)
        async with self._turns:
            try:
                reply = await self._attempt(self._idle_session(), mail.to, message)
            except StaleSession:  # the server had closed the reused session: once on a new one
                reply = await self._attempt(None, mail.to, message)
        if reply.code != SMTP_OK:
            return reply
        # The session went back to the pool without any I/O in between, so it sends the next
        # message while this one is recorded. The server has the message: it was sent,
        # whatever recording it said.
        with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
            await accepted()
        return reply

    async def _attempt(
        self, reused: aiosmtplib.SMTP | None, recipient: str, message: bytes
    ) -> SmtpReply:
        """One try on the `reused` session, or on a new one when None. Raises StaleSession
        when `reused` turns out to have been closed by the server before it took the
        message."""
        session = reused
        healthy = False  # the session can take the next message
        try:
            if session is None:
                session = await self._open()
            await session.sendmail(self._sender, [recipient], message)
            healthy = True  # the server answered 250 to the end of the data: it has it
            return SmtpReply(SMTP_OK)
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = tuple(refused.code for refused in error.recipients)
            if reused is not None and all(code == SMTP_CLOSING for code in codes):
                raise StaleSession from error
            healthy = session is not None and await self._reset(session)
            detail = "recipient refused: " + ", ".join(f"SMTP {code}" for code in codes)
            return SmtpReply(None, codes, detail)
        except aiosmtplib.SMTPResponseException as error:
            if reused is not None and error.code == SMTP_CLOSING:
                raise StaleSession from error
            healthy = session is not None and await self._reset(session)
            return SmtpReply(error.code, detail=f"SMTP {error.code}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            # SMTPServerDisconnected is a ConnectionError. A stale session fails at MAIL
            # FROM; were it dropped during DATA instead, the new try might repeat a message
            # the server took without saying so, as the domain's own retry would.
            if reused is not None and isinstance(error, ConnectionError):
                raise StaleSession from error
            return SmtpReply(None, detail=type(error).__name__)
        finally:
            if session is not None:  # synchronous: nothing comes between 250 and `accepted`
                self._give_back(session, healthy)

    async def _open(self) -> aiosmtplib.SMTP:
        """A new session: connected, EHLO, STARTTLS and login as configured (a failing
        connect closes it)."""
        session = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._username or None,
            password=self._password or None,
            start_tls=self._starttls,
            timeout=self._timeout,
            local_hostname=self._local_hostname,
        )
        await session.connect()
        return session

    async def _reset(self, session: aiosmtplib.SMTP) -> bool:
        """After an error reply in a session that is still up: whether RSET cleared it for
        the next message. aiosmtplib sends RSET itself after an error reply but hides what
        came back; ours costs one round trip, far less than a new session with STARTTLS and
        login, and a session whose state is in doubt is closed instead."""
        if not session.is_connected:  # e.g. closed by aiosmtplib after a 421
            return False
        try:
            await session.rset()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            return False
        return True

    def _idle_session(self) -> aiosmtplib.SMTP | None:
        """The most recently used idle session still open, if any; those idle too long are
        closed (without QUIT: the server may be gone, and the send must not wait on it)."""
        now = self._monotonic()
        while self._idle and now - self._idle[0][1] > self._idle_seconds:
            self._idle.popleft()[0].close()
        while self._idle:
            session, _ = self._idle.pop()
            if session.is_connected:
                return session
            session.close()
        return None

    def _give_back(self, session: aiosmtplib.SMTP, healthy: bool) -> None:
        if healthy and session.is_connected and not self._closed:
            self._idle.append((session, self._monotonic()))
        else:  # a failure, a timeout or a cancellation mid-command leaves it in doubt
            session.close()

    async def close(self) -> None:
        """Says QUIT on every idle session; a session still sending is closed when it is
        given back."""
        self._closed = True
        idle, self._idle = self._idle, deque()
        await asyncio.gather(*(_quit(session) for session, _ in idle))


async def _quit(session: aiosmtplib.SMTP) -> None:
    try:
        await session.quit(timeout=QUIT_SECONDS)
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        pass
    finally:
        session.close()
