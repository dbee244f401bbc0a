"""Intake capacity on the real stack: a call opens and thousands apply within minutes.

    make up                                            # Kafka, FerretDB, sinks, four services
    uv run python benchmarks/intake_throughput.py      # --applications 2000

Opens a call on the running recruitment service, publishes a burst of applications on
`recruitment.application.submitted` as partner systems do, and measures how long the burst
takes from the first publish to its last `recruitment.application.screened` event, and then
until notify has handed every receipt and screening SMS to the SMS gateway sink. Prints
numbers; asserts nothing. Uses the ports of `make up` (the ILTEO_* variables).
"""

import argparse
import asyncio
import json
import statistics
import time
import uuid
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from deploy.local.stack import StackConfig
from shared.topics import Topic
from tests.e2e.applicants import applicant, open_call, submitted_event


async def screened_offsets_now(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
    """Start reading the screened topic from its current end: only this burst counts."""
    topic = Topic.APPLICATION_SCREENED.value
    partitions = [TopicPartition(topic, p) for p in await producer.partitions_for(topic)]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    for partition in partitions:
        await consumer.position(partition)


async def main(applications: int, sms_within: float) -> None:
    config = StackConfig()
    bootstrap = f"127.0.0.1:{config.kafka_port}"
    recruitment = f"http://127.0.0.1:{config.service_ports['recruitment']}"
    gateway = f"http://127.0.0.1:{config.sms_port}"
    call_id = f"bench-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(timeout=10) as http:
        call = open_call(call_id, quota=max(1, applications // 4))
        (await http.post(f"{recruitment}/calls", json=call)).raise_for_status()
        (await http.post(f"{recruitment}/calls/{call_id}/open")).raise_for_status()
        sms_before = len((await http.get(f"{gateway}/messages")).json())

    people = [applicant() for _ in range(applications)]
    events = [submitted_event(call_id, person) for person in people]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        await screened_offsets_now(consumer, producer)
        sent_at: dict[bytes, float] = {}
        started = time.perf_counter()
        for application_id, value in events:
            key = application_id.encode()
            sent_at[key] = time.perf_counter()
            await producer.send(Topic.APPLICATION_SUBMITTED.value, value, key=key)
        await producer.flush()
        published = time.perf_counter() - started

        latencies: list[float] = []
        eligible = 0
        deadline = time.perf_counter() + 600
        while sent_at and time.perf_counter() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            now = time.perf_counter()
            for record in (r for records in batch.values() for r in records):
                if record.key in sent_at:
                    latencies.append(now - sent_at.pop(record.key))
                    eligible += json.loads(record.value)["data"]["eligible"]
        screened = time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()

    # Every applicant consented to SMS: a receipt and a screening result each.
    expected_sms = 2 * applications
    async with httpx.AsyncClient(timeout=10) as http:
        delivered = 0
        until = time.perf_counter() + sms_within
        while time.perf_counter() < until:
            delivered = len((await http.get(f"{gateway}/messages")).json()) - sms_before
            if delivered >= expected_sms:
                break
            await asyncio.sleep(0.5)
    notified = time.perf_counter() - started

    done = len(latencies)
    quantiles = statistics.quantiles(latencies, n=100) if done > 1 else [0.0] * 99
    print(f"{applications:,} applications to call {call_id} over Kafka ({eligible:,} eligible)")
    print(f"  published in                 {published:7.2f} s")
    print(f"  screened {done:,} in {screened:7.2f} s  = {done / screened:8.1f} applications/s")
    print(
        f"  submit-to-screened latency   p50 {quantiles[49] * 1000:7.0f} ms"
        f"   p99 {quantiles[98] * 1000:7.0f} ms   max {max(latencies, default=0) * 1000:7.0f} ms"
    )
    print(
        f"  SMS at the gateway           {delivered:,} of {expected_sms:,} by {notified:7.2f} s"
        f"  = {delivered / notified:8.1f} SMS/s (notify's rate limit applies)"
    )
    if sent_at:
        print(f"  NOT screened within 10 minutes: {len(sent_at):,}")


def arguments() -> Any:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--sms-within", type=float, default=300.0, help="seconds to wait")
    return parser.parse_args()


if __name__ == "__main__":
    options = arguments()
    asyncio.run(main(options.applications, options.sms_within))
