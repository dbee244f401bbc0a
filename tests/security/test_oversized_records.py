"""A record larger than any contract event (KAFKA_MAX_MESSAGE_BYTES, 512 KiB) is dead-lettered
undecoded, with its reason, on the real broker; the events around it are handled as usual."""

import json
import uuid

import pytest

from services.recruitment.app import RecruitmentSettings, create_app
from shared.limits import LimitSettings
from shared.topics import Topic, dead_letter_topic
from tests.conftest import Stack, collect, publish, running

pytestmark = pytest.mark.integration


async def test_an_oversized_record_goes_to_the_dead_letter_topic_whole_with_its_reason(
    stack: Stack,
) -> None:
    limit = LimitSettings().kafka_max_message_bytes
    key = f"huge-{uuid.uuid4().hex[:8]}"
    # Valid JSON and the right shape up front: only its size is wrong. An applicant's phone
    # in it stays out of every log line and error text.
    padding = "가" * ((limit // 3) + 10)
    data = {"note": padding, "phone": "010-2222-3333"}
    huge = json.dumps({"event_id": key, "data": data}, ensure_ascii=False)
    body = huge.encode()
    assert len(body) > limit
    recruitment = create_app(RecruitmentSettings(**stack.service_env("recruitment")))
    async with running(recruitment):
        await publish(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, body, key=key)
        dead = await collect(
            stack.bootstrap_servers,
            [dead_letter_topic(Topic.APPLICATION_SUBMITTED)],
            lambda r: r.key == key.encode(),
            expected=1,
            settle=0.5,
        )
    assert dead, "the oversized record was not dead-lettered"
    headers = dict(dead[0].headers)
    assert headers["dlq.reason"] == b"too_large"
    assert headers["dlq.error"] == f"{len(body)} bytes, more than the limit of {limit}".encode()
    assert dead[0].value == body
