"""A token bucket: a burst goes at once, the rest at the provider's rate."""

import pytest

from services.notify.domain.rate_limit import TokenBucket


def test_a_full_bucket_lets_a_burst_through() -> None:
    bucket = TokenBucket(rate_per_s=10, burst=3)

    assert [bucket.try_take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]


def test_an_empty_bucket_says_how_long_to_wait() -> None:
    bucket = TokenBucket(rate_per_s=10, burst=1)
    bucket.try_take(0.0)

    assert bucket.try_take(0.0) == pytest.approx(0.1)
    assert bucket.try_take(0.05) == pytest.approx(0.05)


def test_waiting_takes_nothing_so_the_wait_is_honest() -> None:
    bucket = TokenBucket(rate_per_s=2, burst=1)
    bucket.try_take(0.0)

    wait = bucket.try_take(0.0)
    assert bucket.try_take(0.0) == wait
    assert bucket.try_take(wait) == 0.0


def test_tokens_refill_at_the_rate_but_never_beyond_the_burst() -> None:
    bucket = TokenBucket(rate_per_s=1, burst=2)
    bucket.try_take(0.0)
    bucket.try_take(0.0)

    assert bucket.try_take(1000.0) == 0.0
    assert bucket.try_take(1000.0) == 0.0
    assert bucket.try_take(1000.0) > 0.0


def test_a_sustained_stream_is_paced_at_the_rate() -> None:
    bucket = TokenBucket(rate_per_s=50, burst=5)
    now, sent = 0.0, 0
    while now < 10.0:
        wait = bucket.try_take(now)
        if wait == 0.0:
            sent += 1
        else:
            now += wait

    assert 5 + 50 * 10 - 1 <= sent <= 5 + 50 * 10 + 1


def test_a_clock_that_steps_back_adds_no_tokens() -> None:
    bucket = TokenBucket(rate_per_s=1, burst=1)
    bucket.try_take(10.0)

    assert bucket.try_take(5.0) > 0.0
    assert bucket.try_take(11.0) == 0.0


def test_a_nonsensical_bucket_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate_per_s=0, burst=1)
