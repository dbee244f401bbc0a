"""The two ways a message leaves the city: the SMS gateway (contracts.md) and SMTP.

A sender reports what the provider answered, as raw facts (the HTTP status, the SMTP reply
codes, or that no answer came), and never raises for a provider's answer: what an answer
means (delivered, try again, never) is the domain's to decide (`domain/retry.py`).

Each also takes `accepted`, awaited the moment the provider has taken the message and before
anything else happens (for SMTP, before QUIT): the caller records the delivery there, so that
the time in which a crash makes it send the message again is as short as it can be.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from typing import Literal

import aiosmtplib
import httpx

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
    """Up to `connections` requests at once, each on a kept-alive connection of its own: one
    small client per connection costs far less CPU than one client with a large pool (httpx
    looks through its whole pool for every request; measured: 6 ms a request with 64 in one
    pool, 1.4 ms with one each)."""

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
        self._idle: asyncio.LifoQueue[httpx.AsyncClient] = asyncio.LifoQueue()
        self._clients = [
            httpx.AsyncClient(
                timeout=timeout_seconds,
                headers={"Authorization": f"Bearer {token}"} if token else {},
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            )
            for _ in range(max(1, connections))
        ]
        for client in self._clients:
            self._idle.put_nowait(client)

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
        client = await self._idle.get()
        try:
            response = await client.post(self._url, json=body)
        except httpx.TransportError as error:  # timeouts, refused connections
            return GatewayReply(None, type(error).__name__)
        finally:
            self._idle.put_nowait(client)
        status = response.status_code
        if 200 <= status < 300:
            await accepted()
            return GatewayReply(status)
        if status == 429 or status >= 500:
            return GatewayReply(status, f"HTTP {status}")
        return GatewayReply(status, f"HTTP {status}: {response.text[:200]}")

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()


class SmtpSender:
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
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls = starttls
        self._timeout = timeout_seconds

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
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._username or None,
            password=self._password or None,
            start_tls=self._starttls,
            timeout=self._timeout,
        )
        taken = False
        try:
            async with client:  # leaving it says QUIT
                await client.sendmail(self._sender, [mail.to], message)
                taken = True  # the server answered 250 to the end of the data: it has it
                await accepted()
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = tuple(refused.code for refused in error.recipients)
            detail = "recipient refused: " + ", ".join(f"SMTP {code}" for code in codes)
            return SmtpReply(None, codes, detail)
        except aiosmtplib.SMTPResponseException as error:
            if taken:
                return SmtpReply(SMTP_OK)
            return SmtpReply(error.code, detail=f"SMTP {error.code}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            if taken:  # the connection broke after the server took the message
                return SmtpReply(SMTP_OK)
            return SmtpReply(None, detail=type(error).__name__)
        return SmtpReply(SMTP_OK)
