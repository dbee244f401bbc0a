"""No message wakes a citizen at night unless it cannot wait.

Korean practice (and the Information and Communications Network Act for advertising) keeps
21:00-08:00 free of messages; the city holds its service messages to the same hours.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.clock import SEOUL


@dataclass(frozen=True)
class QuietHours:
    start: time = time(21, 0)
    end: time = time(8, 0)
    tz: ZoneInfo = SEOUL

    def is_quiet(self, moment: datetime) -> bool:
        local = self._local(moment).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # the window spans midnight

    def deliver_at(self, now: datetime, urgent: bool) -> datetime:
        """When a message that is ready at `now` may go out: `now`, or the end of the night."""
        if urgent or not self.is_quiet(now):
            return now
        local = self._local(now)
        day = local.date()
        if local.time() >= self.end:  # evening side of a window that spans midnight
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=self.tz)

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("quiet hours need a timezone-aware time")
        return moment.astimezone(self.tz)
