"""Seoul time. Contract times are timezone-aware; dates are Asia/Seoul."""

from datetime import datetime
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


def now_kst() -> datetime:
    return datetime.now(SEOUL)
