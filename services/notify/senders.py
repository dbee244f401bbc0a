"""The two ways a message leaves the city: the SMS gateway (contracts.md) and SMTP.

Each sender returns a `DeliveryOutcome` rather than raising, so the delivery loop decides
retries from data: 2xx delivered, 429/5xx/timeouts try again, other 4xx never.

Each also takes `accepted`, awaited the moment the provider has taken the message and before
anything else happens (for SMTP, before QUIT): the caller records the delivery there, so that
the time in which a crash makes it send the message again is as short as it can be.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal

import aiosmtplib
import httpx

Outcome = Literal["delivered", "transient", "permanent"]
Accepted = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


@dataclass(frozen=True)
class DeliveryOutcome:
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class SmsMessage:
    message_id: str
    to: str
    kind: Literal["SMS", "LMS"]
    text: str
    subject: str | None = None


@dataclass(frozen=True)
class EmailContent:
    message_id: str  # the Message-ID header, angle brackets included
    to: str
    subject: str
    text: str
    html: str


class SmsGateway:
    def __init__(self, url: str, token: str, sender: str, timeout_seconds: float = 5.0) -> None:
        self._url = url
        self._sender = sender
        self._client = httpx.AsyncClient(
            timeout=timeout_seconds,
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )

    async def send(self, sms: SmsMessage, accepted: Accepted = _nothing) -> DeliveryOutcome:
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
            response = await self._client.post(self._url, json=body)
        except httpx.TransportError as error:  # timeouts, refused connections
            return DeliveryOutcome("transient", type(error).__name__)
        status = response.status_code
        if 200 <= status < 300:
            await accepted()
            return DeliveryOutcome("delivered")
        if status == 429 or status >= 500:
            return DeliveryOutcome("transient", f"HTTP {status}")
        return DeliveryOutcome("permanent", f"HTTP {status}: {response.text[:200]}")

    async def close(self) -> None:
        await self._client.aclose()


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

    async def send(self, mail: EmailContent, accepted: Accepted = _nothing) -> DeliveryOutcome:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = mail.message_id
        message["Date"] = formatdate(localtime=False)
        message.set_content(mail.text, charset="utf-8")
        message.add_alternative(mail.html, subtype="html", charset="utf-8")
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
                await client.send_message(message)
                taken = True  # the server answered 250 to the end of the data: it has it
                await accepted()
        except aiosmtplib.SMTPRecipientsRefused as error:
            return DeliveryOutcome("permanent", f"recipient refused: {len(error.recipients)}")
        except aiosmtplib.SMTPResponseException as error:
            if taken:
                return DeliveryOutcome("delivered")
            # SMTP says it itself: 4xx is "try again later", 5xx is final.
            kind: Outcome = "transient" if 400 <= error.code < 500 else "permanent"
            return DeliveryOutcome(kind, f"SMTP {error.code}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            if taken:  # the connection broke after the server took the message
                return DeliveryOutcome("delivered")
            return DeliveryOutcome("transient", type(error).__name__)
        return DeliveryOutcome("delivered")
