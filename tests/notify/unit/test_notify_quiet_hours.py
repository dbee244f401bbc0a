"""Nothing non-urgent goes out between 21:00 and 08:00 in Seoul."""

from datetime import UTC, datetime, time, timedelta

import pytest

from services.notify.domain.quiet_hours import QuietHours
from shared.clock import SEOUL

QUIET = QuietHours()


def kst(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 5, day, hour, minute, tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (kst(12, 20, 59), kst(12, 20, 59)),
        (kst(12, 21, 0), kst(13, 8, 0)),
        (kst(12, 22, 30), kst(13, 8, 0)),
        (kst(12, 23, 59), kst(13, 8, 0)),
        (kst(13, 0, 0), kst(13, 8, 0)),
        (kst(13, 3, 0), kst(13, 8, 0)),
        (kst(13, 7, 59), kst(13, 8, 0)),
        (kst(13, 8, 0), kst(13, 8, 0)),
        (kst(13, 12, 0), kst(13, 12, 0)),
    ],
)
def test_a_non_urgent_message_waits_for_the_morning(now: datetime, expected: datetime) -> None:
    assert QUIET.deliver_at(now, urgent=False) == expected


@pytest.mark.parametrize("now", [kst(12, 22, 30), kst(13, 3, 0), kst(12, 21, 0)])
def test_an_urgent_message_goes_at_once(now: datetime) -> None:
    assert QUIET.deliver_at(now, urgent=True) == now


def test_the_answer_is_timezone_aware_in_seoul() -> None:
    deferred = QUIET.deliver_at(kst(12, 22, 30), urgent=False)

    assert deferred.tzinfo is not None
    assert deferred.utcoffset() == timedelta(hours=9)


def test_a_time_in_another_zone_is_judged_on_the_seoul_clock() -> None:
    # 13:30 UTC is 22:30 in Seoul.
    now = datetime(2025, 5, 12, 13, 30, tzinfo=UTC)

    assert QUIET.deliver_at(now, urgent=False) == kst(13, 8, 0)


def test_the_month_end_rolls_over() -> None:
    now = datetime(2025, 5, 31, 22, 0, tzinfo=SEOUL)

    assert QUIET.deliver_at(now, urgent=False) == datetime(2025, 6, 1, 8, 0, tzinfo=SEOUL)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        QUIET.deliver_at(datetime(2025, 5, 12, 22, 30), urgent=False)


def test_a_window_within_one_day_is_supported() -> None:
    lunch = QuietHours(start=time(12, 0), end=time(13, 0))

    assert lunch.deliver_at(kst(12, 12, 30), urgent=False) == kst(12, 13, 0)
    assert lunch.deliver_at(kst(12, 13, 0), urgent=False) == kst(12, 13, 0)


def test_equal_start_and_end_mean_no_quiet_hours() -> None:
    never = QuietHours(start=time(8, 0), end=time(8, 0))

    assert never.deliver_at(kst(12, 3, 0), urgent=False) == kst(12, 3, 0)
