"""What a provider's answer means, and when to try again.

Backoff is exponential with jitter so that thousands of messages failing together (a call
closes, the gateway hiccups) do not all come back in the same second.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from random import Random


class Verdict(StrEnum):
    DELIVERED = "delivered"
    TRANSIENT = "transient"  # the same message may succeed later
    PERMANENT = "permanent"  # this message will never succeed as it is


def classify_sms_response(status_code: int | None) -> Verdict:
    """The SMS gateway's HTTP status; None when no response came (timeout, connection error).

    Anything the contract does not name as transient is permanent: a retry would repeat it.
    """
    if status_code is None or status_code == 429 or 500 <= status_code <= 599:
        return Verdict.TRANSIENT
    if 200 <= status_code <= 299:
        return Verdict.DELIVERED
    return Verdict.PERMANENT


def classify_smtp_reply(reply_code: int | None) -> Verdict:
    """The SMTP server's final reply code; None when the connection failed or timed out."""
    if reply_code is None or 400 <= reply_code <= 499:
        return Verdict.TRANSIENT
    if 200 <= reply_code <= 299:
        return Verdict.DELIVERED
    return Verdict.PERMANENT


def classify_smtp_attempt(
    reply_code: int | None, refused_recipients: Sequence[int] = ()
) -> Verdict:
    """An attempt to send one e-mail: the server's last reply code (None when the connection
    failed or timed out), or, when it refused the recipients (RCPT TO), each one's reply code.

    A refused recipient is judged by its own code like any reply: 450 (a greylisting server,
    a full mailbox) is "try again later", 550 (no such user) is final. The message fails for
    good only when every recipient refused it for good.
    """
    if not refused_recipients:
        return classify_smtp_reply(reply_code)
    verdicts = {classify_smtp_reply(code) for code in refused_recipients}
    return Verdict.TRANSIENT if Verdict.TRANSIENT in verdicts else Verdict.PERMANENT


class Jitter(StrEnum):
    FULL = "full"  # anywhere in [0, delay]: spreads retries the most
    EQUAL = "equal"  # in [delay/2, delay]: spreads them while keeping a minimum wait
    NONE = "none"


# Past this exponent every delay is capped anyway; stopping here keeps the float finite.
_MAX_EXPONENT = 64


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=2)
    factor: float = 2.0
    max_delay: timedelta = timedelta(minutes=10)
    max_attempts: int = 8
    jitter: Jitter = Jitter.FULL

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.factor < 1 or self.base <= timedelta(0):
            raise ValueError("a retry policy needs max_attempts >= 1, factor >= 1, base > 0")

    def delay(self, attempt: int, rng: Random) -> timedelta:
        """The wait after the `attempt`-th failed attempt (1-based), never above max_delay."""
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        ceiling = min(
            self.base.total_seconds() * self.factor**exponent, self.max_delay.total_seconds()
        )
        if self.jitter is Jitter.FULL:
            seconds = rng.uniform(0, ceiling)
        elif self.jitter is Jitter.EQUAL:
            seconds = ceiling / 2 + rng.uniform(0, ceiling / 2)
        else:
            seconds = ceiling
        return timedelta(seconds=seconds)

    def next_attempt_at(self, attempt: int, now: datetime, rng: Random) -> datetime | None:
        """When to try again after `attempt` attempts failed; None when no attempt is left."""
        if attempt >= self.max_attempts:
            return None
        return now + self.delay(attempt, rng)
