"""closed -> open after N transient failures -> half-open after a cool-down -> closed or open."""

from services.notify.domain.circuit_breaker import BreakerState, CircuitBreaker
from services.notify.domain.retry import Verdict


def opened_breaker(at: float = 100.0) -> CircuitBreaker:
    breaker = CircuitBreaker(failure_threshold=3, cool_down_s=30)
    for _ in range(3):
        assert breaker.allows(at)
        breaker.record(Verdict.TRANSIENT, at)
    return breaker


def test_a_new_breaker_lets_calls_through() -> None:
    breaker = CircuitBreaker()

    assert breaker.state is BreakerState.CLOSED
    assert breaker.allows(0.0)
    assert breaker.retry_in(0.0) == 0.0


def test_it_opens_after_consecutive_transient_failures() -> None:
    breaker = CircuitBreaker(failure_threshold=3, cool_down_s=30)

    breaker.record(Verdict.TRANSIENT, 1.0)
    breaker.record(Verdict.TRANSIENT, 2.0)
    assert breaker.allows(2.0)
    breaker.record(Verdict.TRANSIENT, 3.0)

    assert breaker.state is BreakerState.OPEN
    assert not breaker.allows(3.0)
    assert breaker.retry_in(13.0) == 20.0


def test_a_success_resets_the_count_of_failures() -> None:
    breaker = CircuitBreaker(failure_threshold=3)

    breaker.record(Verdict.TRANSIENT, 1.0)
    breaker.record(Verdict.TRANSIENT, 2.0)
    breaker.record(Verdict.DELIVERED, 3.0)
    breaker.record(Verdict.TRANSIENT, 4.0)

    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 1


def test_a_permanent_failure_is_the_provider_answering_so_it_is_healthy() -> None:
    breaker = CircuitBreaker(failure_threshold=2)

    breaker.record(Verdict.TRANSIENT, 1.0)
    breaker.record(Verdict.PERMANENT, 2.0)
    breaker.record(Verdict.TRANSIENT, 3.0)

    assert breaker.state is BreakerState.CLOSED


def test_after_the_cool_down_one_probe_goes_through() -> None:
    breaker = opened_breaker(at=100.0)

    assert not breaker.allows(129.9)
    assert breaker.allows(130.0)
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allows(130.5)  # one probe at a time
    assert breaker.retry_in(130.5) == 29.5


def test_a_successful_probe_closes_the_breaker() -> None:
    breaker = opened_breaker(at=100.0)
    assert breaker.allows(130.0)

    breaker.record(Verdict.DELIVERED, 131.0)

    assert breaker.state is BreakerState.CLOSED
    assert breaker.consecutive_failures == 0
    assert breaker.allows(131.0)


def test_a_failed_probe_opens_it_again_for_a_full_cool_down() -> None:
    breaker = opened_breaker(at=100.0)
    assert breaker.allows(130.0)

    breaker.record(Verdict.TRANSIENT, 131.0)

    assert breaker.state is BreakerState.OPEN
    assert not breaker.allows(160.0)
    assert breaker.allows(161.0)


def test_a_probe_whose_outcome_never_came_frees_its_slot_after_a_cool_down() -> None:
    breaker = opened_breaker(at=100.0)
    assert breaker.allows(130.0)

    assert not breaker.allows(159.0)
    assert breaker.allows(160.0)
