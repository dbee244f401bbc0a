"""The SMS gateway and the mail server as the delivery loop sees them: each with its own
circuit breaker and rate limit, so that one being down or slow stalls only itself; what they
answer turned into a verdict by the domain's rules (`domain/retry.py`)."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from .adapters.senders import Accepted, EmailContent, SmsGateway, SmsMessage, SmtpSender
from .domain.channels import Channel
from .domain.circuit_breaker import CircuitBreaker
from .domain.message import EmailText, SmsText
from .domain.notification import Planned, email_message_id
from .domain.rate_limit import TokenBucket
from .domain.retry import Verdict, classify_sms_response, classify_smtp_attempt

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# A burst of a second's worth (as before): what a stall (a slow write, a pause of the
# process) held back is made up at once, so that sends average the rate while there is work,
# and never more than the rate plus one second's worth in any stretch of time.
BURST_SECONDS = 1.0


class Throttle:
    """Paces any number of concurrent callers to one provider's rate: each `take` waits its
    turn, first come first served, until the token bucket has a token for it."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int | None = None,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.rate_per_s = rate_per_s
        self.bucket = TokenBucket(
            rate_per_s=rate_per_s, burst=burst or max(1, round(rate_per_s * BURST_SECONDS))
        )
        self._monotonic = monotonic
        self._sleep = sleep
        self._turn = asyncio.Lock()  # fair: waiters are served in the order they came

    async def take(self) -> None:
        async with self._turn:
            while (wait := self.bucket.try_take(self._monotonic())) > 0:
                await self._sleep(wait)


@dataclass
class Provider:
    channel: Channel
    breaker: CircuitBreaker
    throttle: Throttle


class Providers:
    def __init__(
        self,
        sms: SmsGateway,
        smtp: SmtpSender,
        *,
        sms_rate: float,
        email_rate: float,
        breaker_failure_threshold: int = 5,
        breaker_cool_down_seconds: float = 30.0,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.sms, self.smtp = sms, smtp
        self.monotonic = monotonic
        rates: Mapping[Channel, float] = {"sms": sms_rate, "email": email_rate}
        self.of: Mapping[Channel, Provider] = {
            channel: Provider(
                channel,
                CircuitBreaker(breaker_failure_threshold, breaker_cool_down_seconds),
                Throttle(rate, monotonic=monotonic),
            )
            for channel, rate in rates.items()
        }

    async def send(self, planned: Planned, accepted: Accepted) -> tuple[Verdict, str]:
        """One attempt: the verdict on the provider's answer, and the answer in words."""
        notification, message = planned.notification, planned.message
        if isinstance(message, SmsText):
            reply = await self.sms.send(
                SmsMessage(
                    message_id=notification.notification_id,
                    to=notification.recipient,
                    kind=message.kind,
                    text=message.text,
                    subject=message.subject,
                ),
                accepted,
            )
            return classify_sms_response(reply.status), reply.detail
        if isinstance(message, EmailText):
            mail = await self.smtp.send(
                EmailContent(
                    message_id=email_message_id(notification.notification_id),
                    to=notification.recipient,
                    subject=message.subject,
                    text=message.text,
                    html=message.html,
                ),
                accepted,
            )
            return classify_smtp_attempt(mail.code, mail.refused_recipients), mail.detail
        raise ValueError(f"notification {notification.notification_id} has nothing to send")
