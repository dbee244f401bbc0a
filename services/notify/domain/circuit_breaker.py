"""Stop calling a provider that keeps failing, and probe it again after a cool-down.

One breaker per provider (the SMS gateway, the SMTP server). Times are seconds on a
monotonic clock that the caller reads and passes in.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from services.notify.domain.retry import Verdict


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    failure_threshold: int = 5
    cool_down_s: float = 30.0
    state: BreakerState = field(default=BreakerState.CLOSED, init=False)
    consecutive_failures: int = field(default=0, init=False)
    _opened_at: float = field(default=0.0, init=False, repr=False)
    _probe_started_at: float | None = field(default=None, init=False, repr=False)

    def allows(self, now: float) -> bool:
        """Whether a call may go out now. In half-open state only one probe at a time does."""
        if self.state is BreakerState.OPEN and now - self._opened_at >= self.cool_down_s:
            self.state = BreakerState.HALF_OPEN
            self._probe_started_at = None
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.HALF_OPEN and self._probe_is_free(now):
            self._probe_started_at = now
            return True
        return False

    def retry_in(self, now: float) -> float:
        """Seconds until a call could be allowed again; 0 when one may go now."""
        if self.state is BreakerState.OPEN:
            return max(0.0, self._opened_at + self.cool_down_s - now)
        probe = self._probe_started_at
        if self.state is BreakerState.HALF_OPEN and probe is not None:
            return max(0.0, probe + self.cool_down_s - now)
        return 0.0

    def record(self, verdict: Verdict, now: float) -> None:
        """Count the outcome of an allowed call.

        A permanent failure (a bad number, a rejected address) is the provider answering
        properly, so it counts as the provider being healthy.
        """
        if verdict is Verdict.TRANSIENT:
            self._failed(now)
        else:
            self._succeeded()

    def _succeeded(self) -> None:
        self.state = BreakerState.CLOSED
        self.consecutive_failures = 0
        self._probe_started_at = None

    def _failed(self, now: float) -> None:
        self.consecutive_failures += 1
        if (
            self.state is BreakerState.HALF_OPEN
            or self.consecutive_failures >= self.failure_threshold
        ):
            self.state = BreakerState.OPEN
            self._opened_at = now
            self._probe_started_at = None

    def _probe_is_free(self, now: float) -> bool:
        # A probe whose outcome never came (the caller crashed) frees its slot after a cool-down.
        return self._probe_started_at is None or now - self._probe_started_at >= self.cool_down_s
