"""Stay under a provider's sending rate: a token bucket per provider.

When a call opens, thousands of "application received" messages are due within minutes;
the bucket lets a short burst through and then paces the rest at the provider's rate.
Times are seconds on a monotonic clock that the caller reads and passes in.
"""

from dataclasses import dataclass, field

# Float refills land a hair below a whole token; without this slack a caller that waited
# exactly as told could be told to wait a few femtoseconds more, forever.
_SLACK = 1e-9


@dataclass
class TokenBucket:
    rate_per_s: float
    burst: int
    tokens: float = field(init=False)
    _updated_at: float | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError("a token bucket needs rate_per_s > 0 and burst >= 1")
        self.tokens = float(self.burst)  # a fresh bucket is full

    def try_take(self, now: float) -> float:
        """Take one token: 0.0 when it was taken, else the seconds to wait before asking again.

        Nothing is taken when the caller has to wait, so a waiting caller does not starve
        the others.
        """
        self._refill(now)
        if self.tokens >= 1 - _SLACK:
            self.tokens = max(0.0, self.tokens - 1)
            return 0.0
        return (1 - self.tokens) / self.rate_per_s

    def _refill(self, now: float) -> None:
        last = self._updated_at
        # A clock reading older than the last one adds nothing rather than removing tokens.
        self._updated_at = now if last is None else max(last, now)
        if last is not None and now > last:
            self.tokens = min(float(self.burst), self.tokens + (now - last) * self.rate_per_s)
