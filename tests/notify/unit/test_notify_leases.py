"""Leases on outbox segments: taken, renewed, taken over and given back by inserting the next
generation, so no lease is ever updated and no generation is ever taken twice."""

from datetime import datetime, timedelta

from services.notify.domain.lease import Lease, current, lease_id, next_lease, takes_over
from shared.clock import SEOUL

SEGMENT = "20250512T030000000000-0a1b2c3d"
NOW = datetime(2025, 5, 12, 12, 0, tzinfo=SEOUL)
LEASE = timedelta(seconds=30)


def test_the_first_lease_is_generation_one_and_its_id_names_it() -> None:
    lease = next_lease(SEGMENT, None, NOW, LEASE)

    assert lease == Lease(SEGMENT, 1, NOW + LEASE)
    assert lease.lease_id == lease_id(SEGMENT, 1) == f"{SEGMENT}#1"


def test_a_lease_held_by_another_loop_is_not_taken() -> None:
    held = Lease(SEGMENT, 3, NOW + timedelta(seconds=1))

    assert next_lease(SEGMENT, held, NOW, LEASE) is None
    assert held.held_at(NOW)


def test_a_lease_that_ran_out_is_taken_over_with_the_next_generation() -> None:
    expired = Lease(SEGMENT, 3, NOW)

    lease = next_lease(SEGMENT, expired, NOW, LEASE)

    assert lease == Lease(SEGMENT, 4, NOW + LEASE)
    assert takes_over(expired)


def test_a_renewed_lease_is_the_next_generation_held_longer() -> None:
    held = Lease(SEGMENT, 3, NOW + timedelta(seconds=5))

    renewed = held.renewed(NOW, LEASE)

    assert renewed == Lease(SEGMENT, 4, NOW + LEASE)
    assert next_lease(SEGMENT, renewed, NOW, LEASE) is None


def test_a_lease_given_back_is_taken_again_without_a_takeover() -> None:
    held = Lease(SEGMENT, 3, NOW + LEASE)
    later = NOW + timedelta(minutes=5)

    released = held.release(NOW, due_at=later)
    lease = next_lease(SEGMENT, released, NOW, LEASE)

    assert released == Lease(SEGMENT, 4, NOW, released=True, due_at=later)
    assert lease == Lease(SEGMENT, 5, NOW + LEASE)
    assert not takes_over(released)
    assert not takes_over(None)


def test_giving_back_a_lease_already_taken_over_collides_with_the_new_holder() -> None:
    # A late loop whose lease ran out gives it back: its marker has the id of the lease the
    # loop that took over holds, so the unique index refuses it and the new holder keeps it.
    late = Lease(SEGMENT, 1, NOW - timedelta(seconds=1))
    taker = next_lease(SEGMENT, late, NOW, LEASE)

    assert taker is not None
    assert late.release(NOW).lease_id == taker.lease_id
    assert late.renewed(NOW, LEASE).lease_id == taker.lease_id


def test_generations_only_grow_so_no_id_is_taken_twice() -> None:
    latest: Lease | None = None
    seen: list[str] = []
    for step in range(12):
        now = NOW + timedelta(minutes=step)
        taken = next_lease(SEGMENT, latest, now, LEASE)
        assert taken is not None
        renewed = taken.renewed(now, LEASE)
        # given back, or left to run out
        latest = renewed.release(now) if step % 2 else renewed
        seen.extend(dict.fromkeys([taken.lease_id, renewed.lease_id, latest.lease_id]))

    assert len(seen) == len(set(seen))


def test_only_the_latest_generation_counts_whatever_order_they_are_read_in() -> None:
    other = "20250512T030000000001-00000000"
    leases = [
        Lease(SEGMENT, 2, NOW + LEASE),
        Lease(other, 1, NOW),
        Lease(SEGMENT, 1, NOW),
        Lease(SEGMENT, 3, NOW, released=True),
    ]

    for order in (leases, leases[::-1]):
        assert current(order) == {SEGMENT: Lease(SEGMENT, 3, NOW, released=True), other: leases[1]}
