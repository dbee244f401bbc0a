"""A provider's rate limit with many senders at once: after the burst they reach the rate
together, and never exceed it."""

import asyncio
import time

import pytest

from services.notify.providers import BURST_SECONDS, Throttle


async def run_senders(throttle: Throttle, senders: int, seconds: float) -> list[float]:
    """`senders` tasks taking tokens until `seconds` have passed; when each got one."""
    began = time.monotonic()
    taken: list[float] = []

    async def sender() -> None:
        while True:
            await throttle.take()
            now = time.monotonic() - began
            if now >= seconds:
                return
            taken.append(now)
            await asyncio.sleep(0.005)  # a send, which others overlap

    await asyncio.gather(*(sender() for _ in range(senders)))
    return taken


@pytest.mark.parametrize(("rate", "senders"), [(100.0, 64), (50.0, 64), (400.0, 64)])
async def test_concurrent_senders_reach_the_configured_rate_and_no_more(
    rate: float, senders: int
) -> None:
    throttle = Throttle(rate)
    seconds = 1.5

    taken = await run_senders(throttle, senders, seconds)

    burst = throttle.bucket.burst
    assert burst == max(1, round(rate * BURST_SECONDS))
    # The burst goes at once; after it, the senders together keep to the rate.
    assert len([t for t in taken if t < 0.1]) >= burst
    steady = [t for t in taken if 0.5 <= t < 1.5]
    assert 0.95 * rate <= len(steady) <= rate + 1
    assert len(taken) <= rate * seconds + burst + 1


async def test_waiting_senders_are_served_in_the_order_they_came() -> None:
    throttle = Throttle(50.0, burst=1)
    order: list[int] = []

    async def sender(number: int) -> None:
        await throttle.take()
        order.append(number)

    tasks = []
    for number in range(10):
        tasks.append(asyncio.create_task(sender(number)))
        await asyncio.sleep(0)  # each starts waiting before the next
    await asyncio.gather(*tasks)

    assert order == list(range(10))


def test_a_throttle_with_a_fake_clock_waits_exactly_as_long_as_the_bucket_says() -> None:
    clock = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    throttle = Throttle(10.0, burst=1, monotonic=lambda: clock[0], sleep=sleep)

    async def take(times: int) -> None:
        for _ in range(times):
            await throttle.take()

    asyncio.run(take(5))

    assert slept == pytest.approx([0.1] * 4)
    assert clock[0] == pytest.approx(0.4)
