"""A call's data validation and its lifecycle: draft → open → closed → selected → published."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.recruitment.domain import Call, CallStatus, IllegalTransition
from shared.clock import SEOUL
from tests.recruitment.unit.builders import make_call

NOW = datetime(2025, 5, 20, 10, 0, tzinfo=SEOUL)
BY_SERVICE = {"extends_by": "service_period", "cap_months": 36}


def test_a_call_goes_through_its_lifecycle_in_order() -> None:
    call = make_call(status="draft")
    call = call.open()
    assert call.status is CallStatus.OPEN
    assert call.close(NOW).mark_selected().publish().status is CallStatus.PUBLISHED


@pytest.mark.parametrize(
    ("status", "step"),
    [
        ("draft", lambda call: call.close(NOW)),
        ("draft", Call.publish),
        ("open", Call.mark_selected),
        ("open", Call.open),
        ("closed", Call.open),
        ("selected", lambda call: call.close(NOW)),
        ("published", Call.open),
        ("published", Call.publish),
    ],
    ids=[
        "a draft cannot close without opening",
        "a draft cannot be published",
        "an open call cannot be selected before it closes",
        "an open call cannot open again",
        "a closed call cannot reopen",
        "a selected call cannot go back to closed",
        "a published call cannot reopen",
        "a published call cannot be published twice",
    ],
)
def test_illegal_transitions_are_refused(status: str, step: Callable[[Call], Call]) -> None:
    with pytest.raises(IllegalTransition) as error:
        step(make_call(status=status))
    assert f"from '{status}'" in str(error.value)


def test_the_refusal_says_what_may_come_next() -> None:
    with pytest.raises(IllegalTransition, match="it can only become 'open'"):
        make_call(status="draft").close(NOW)
    with pytest.raises(IllegalTransition, match="that is final"):
        make_call(status="published").open()


@pytest.mark.parametrize(
    ("status", "moment", "accepts"),
    [
        ("open", datetime(2025, 5, 10, 12, 0, tzinfo=SEOUL), True),
        ("draft", datetime(2025, 5, 10, 12, 0, tzinfo=SEOUL), False),
        ("open", datetime(2025, 5, 16, 18, 0, tzinfo=SEOUL) + timedelta(seconds=1), False),
        ("open", datetime(2025, 5, 16, 9, 0, tzinfo=SEOUL), True),
    ],
    ids=[
        "an open call inside its window accepts",
        "a draft call does not accept",
        "an open call after its window does not accept",
        "an open call on its last day accepts",
    ],
)
def test_accepting_applications(status: str, moment: datetime, accepts: bool) -> None:
    assert make_call(status=status).accepts_applications(moment) is accepts


def test_window_times_are_kept_in_seoul_time() -> None:
    call = make_call(
        window={"opens_at": "2025-05-07T00:00:00Z", "closes_at": "2025-05-16T09:00:00Z"}
    )
    assert call.window.opens_at.isoformat() == "2025-05-07T09:00:00+09:00"
    assert call.key_dates.window_closes.isoformat() == "2025-05-16"


@pytest.mark.parametrize(
    ("quota", "share", "seats"),
    [(10, 0.3, 3), (25, 0.3, 7), (3, 0.3, 0), (100, 0.29, 29), (7, 1, 7)],
    ids=[
        "30% of 10 is 3 seats",
        "30% of 25 floors to 7 seats",
        "30% of 3 floors to no seat",
        "29% of 100 is exactly 29 seats despite binary floats",
        "a share of 1 reserves every seat",
    ],
)
def test_priority_seats_are_the_floor_of_quota_times_share(
    quota: int, share: float, seats: int
) -> None:
    track = {"share": share, "grounds": ["basic_livelihood"]}
    assert make_call(quota=quota, priority_track=track).priority_seats == seats


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {
                "window": {
                    "opens_at": "2025-05-16T18:00:00+09:00",
                    "closes_at": "2025-05-07T09:00:00+09:00",
                }
            },
            "closes before it opens",
        ),
        (
            {"window": {"opens_at": "2025-05-07T09:00:00", "closes_at": "2025-05-16T18:00:00"}},
            "timezone",
        ),
        ({"start_date": "2025-05-15"}, "starts before its application window closes"),
        ({"end_date": "2025-06-30"}, "end_date is before start_date"),
        ({"quota": 0}, "greater than 0"),
        (
            {"eligibility": [{"kind": "age", "min": 18}, {"kind": "age", "max": 39}]},
            "once per call",
        ),
        ({"eligibility": [{"kind": "age", "min": 40, "max": 39}]}, "min is above max"),
        ({"eligibility": [{"kind": "age"}]}, "needs min, max or both"),
        (
            {"eligibility": [{"kind": "age", "min": 40, "veteran_extension": BY_SERVICE}]},
            "max is required",
        ),
        ({"eligibility": [{"kind": "age", "min": 18, "maximum": 39}]}, "Extra inputs"),
        (
            {"eligibility": [{"kind": "shoe_size", "min": 240}]},
            "does not match any of the expected",
        ),
        ({"priority_track": {"share": 1.5, "grounds": ["near_poor"]}}, "less than or equal to 1"),
        ({"priority_track": {"share": 0.3, "grounds": []}}, "at least 1 item"),
        ({"selection_method": "interview"}, "'ranked', 'lottery' or 'first_come'"),
        (
            {
                "eligibility": [
                    {
                        "kind": "age",
                        "min": 18,
                        "max": 39,
                        "veteran_extension": {"extends_by": "statutory_brackets", "cap_months": 36},
                    }
                ]
            },
            "Input should be 'service_period'",
        ),
    ],
    ids=[
        "a window that closes before it opens",
        "a window without a timezone",
        "a start before the window closes",
        "an end before the start",
        "a quota of zero",
        "the same rule kind twice",
        "an age minimum above the maximum",
        "an age rule with no bound",
        "a veteran extension with no ceiling to extend",
        "a misspelt rule key",
        "an unknown rule kind",
        "a priority share above 100%",
        "a priority track with no ground",
        "an unknown selection method",
        "a veteran extension other than by the service period",
    ],
)
def test_invalid_call_data_is_refused_with_the_reason(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        make_call(**change)


def test_a_call_window_outside_this_century_is_refused_not_a_server_error() -> None:
    """Found by schemathesis: year 1 with an offset overflowed when moved to Seoul time."""
    with pytest.raises(ValidationError, match="between the years 2000 and 2100"):
        make_call(
            window={
                "opens_at": "0001-01-01T00:00:00+01:00",
                "closes_at": "2000-01-02T00:00:00+09:00",
            }
        )
