"""How dates, money and codes read in a message to a citizen (the templates' filters)."""

from datetime import date, datetime

from shared.clock import SEOUL

_WEEKDAYS = "월화수목금토일"

TRACK_LABELS = {"priority": "우선선발", "general": "일반선발"}
EMPLOYMENT_TYPE_LABELS = {"permanent": "정규직", "fixed_term": "기간제", "part_time": "시간제"}


def won(amount: int) -> str:
    """1770000 -> "1,770,000원", as city notices write amounts."""
    return f"{amount:,}원"


def korean_date(day: date) -> str:
    """2025-07-01 -> "2025년 7월 1일(화)": the weekday saves a citizen a look at the calendar."""
    if isinstance(day, datetime):
        day = _in_seoul(day).date()
    return f"{day.year}년 {day.month}월 {day.day}일({_WEEKDAYS[day.weekday()]})"


def korean_datetime(moment: datetime) -> str:
    """An instant as Seoul wall-clock time: "2025년 6월 20일(금) 18:00"."""
    local = _in_seoul(moment)
    return f"{korean_date(local.date())} {local:%H:%M}"


def track_label(track: str) -> str:
    return TRACK_LABELS[track]


def employment_type_label(employment_type: str) -> str:
    return EMPLOYMENT_TYPE_LABELS[employment_type]


def _in_seoul(moment: datetime) -> datetime:
    # A naive time cannot be placed on a Seoul calendar; contract times are always aware.
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no time zone")
    return moment.astimezone(SEOUL)
