"""The dates a call's rules are judged on, and age in full years (만 나이)."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class ReferenceDate(StrEnum):
    """Which of its call's dates a rule is judged on; every dated rule spec names one."""

    START_DATE = "start_date"  # 근무 시작일 / 교육 시작일: the default everywhere
    WINDOW_OPENS = "window_opens"  # 모집 시작일
    WINDOW_CLOSES = "window_closes"  # 모집 마감일


def age_on(birth_date: date, day: date) -> int:
    """Age in full years (만 나이) on `day`: one year older on the birthday itself, not the day
    after. Someone born on 29 February turns a year older on 1 March in a common year (민법
    제160조: a period whose last month has no corresponding day ends with that month)."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


@dataclass(frozen=True, slots=True)
class KeyDates:
    """A call's dates as its rules see them, with the Korean words a citizen reads."""

    start_date: date
    window_opens: date
    window_closes: date
    start_label: str  # "근무 시작일" for a public job, "교육 시작일" for training

    def on(self, reference: ReferenceDate) -> date:
        match reference:
            case ReferenceDate.START_DATE:
                return self.start_date
            case ReferenceDate.WINDOW_OPENS:
                return self.window_opens
            case ReferenceDate.WINDOW_CLOSES:
                return self.window_closes

    def describe(self, reference: ReferenceDate) -> str:
        """E.g. "근무 시작일(2025-07-01)": the date is always spelt out for the citizen."""
        label = {
            ReferenceDate.START_DATE: self.start_label,
            ReferenceDate.WINDOW_OPENS: "모집 시작일",
            ReferenceDate.WINDOW_CLOSES: "모집 마감일",
        }[reference]
        return f"{label}({self.on(reference).isoformat()})"
