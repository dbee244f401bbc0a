"""Provider answers become verdicts; retries back off exponentially, with jitter, bounded."""

from datetime import UTC, datetime, timedelta
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.retry import (
    Jitter,
    RetryPolicy,
    Verdict,
    classify_sms_response,
    classify_smtp_reply,
)

NOW = datetime(2025, 5, 12, 10, 0, tzinfo=UTC)
POLICY = RetryPolicy()


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (202, Verdict.DELIVERED),
        (429, Verdict.TRANSIENT),
        (500, Verdict.TRANSIENT),
        (503, Verdict.TRANSIENT),
        (None, Verdict.TRANSIENT),  # timeout or connection error
        (400, Verdict.PERMANENT),
        (401, Verdict.PERMANENT),
        (404, Verdict.PERMANENT),
        (422, Verdict.PERMANENT),
        (302, Verdict.PERMANENT),
    ],
)
def test_sms_gateway_status(status: int | None, verdict: Verdict) -> None:
    assert classify_sms_response(status) is verdict


@pytest.mark.parametrize(
    ("code", "verdict"),
    [
        (250, Verdict.DELIVERED),
        (421, Verdict.TRANSIENT),
        (450, Verdict.TRANSIENT),
        (452, Verdict.TRANSIENT),
        (None, Verdict.TRANSIENT),  # connection refused or dropped
        (550, Verdict.PERMANENT),
        (553, Verdict.PERMANENT),
    ],
)
def test_smtp_reply(code: int | None, verdict: Verdict) -> None:
    assert classify_smtp_reply(code) is verdict


def test_without_jitter_the_delay_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(jitter=Jitter.NONE)

    delays = [policy.delay(attempt, Random(0)).total_seconds() for attempt in range(1, 12)]

    assert delays == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    seed=st.integers(0, 2**32),
    jitter=st.sampled_from(Jitter),
)
def test_a_delay_is_never_negative_nor_above_the_cap(
    attempt: int, seed: int, jitter: Jitter
) -> None:
    delay = RetryPolicy(jitter=jitter).delay(attempt, Random(seed))

    assert timedelta(0) <= delay <= POLICY.max_delay


@given(attempt=st.integers(min_value=1, max_value=60), seed=st.integers(0, 2**32))
def test_equal_jitter_keeps_at_least_half_the_delay(attempt: int, seed: int) -> None:
    policy = RetryPolicy(jitter=Jitter.EQUAL)
    ceiling = RetryPolicy(jitter=Jitter.NONE).delay(attempt, Random(0))

    delay = policy.delay(attempt, Random(seed))

    assert ceiling / 2 <= delay <= ceiling


def test_full_jitter_stays_under_the_exponential_ceiling() -> None:
    rng = Random(7)

    for attempt in range(1, 8):
        assert POLICY.delay(attempt, rng) <= timedelta(seconds=2 * 2 ** (attempt - 1))


def test_the_schedule_is_deterministic_with_a_seeded_rng() -> None:
    first = [POLICY.next_attempt_at(attempt, NOW, Random(42)) for attempt in range(1, 8)]
    second = [POLICY.next_attempt_at(attempt, NOW, Random(42)) for attempt in range(1, 8)]

    assert first == second


def test_attempts_are_bounded() -> None:
    rng = Random(1)

    assert POLICY.next_attempt_at(7, NOW, rng) is not None
    assert POLICY.next_attempt_at(8, NOW, rng) is None
    assert POLICY.next_attempt_at(9, NOW, rng) is None


def test_a_policy_of_one_attempt_never_retries() -> None:
    assert RetryPolicy(max_attempts=1).next_attempt_at(1, NOW, Random(0)) is None


def test_a_nonsensical_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
