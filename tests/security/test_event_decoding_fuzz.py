"""Property tests of the event kit's decoding path: whatever bytes arrive on a topic, the kit
either hands the handler a valid event or dead-letters the record with a reason, and never
raises anything else (which would stop the partition) nor echoes the input in the reason.

The consumer runs with stand-ins for the broker and the inbox, so thousands of inputs take
seconds; the real broker's side of dead-lettering is tested in tests/shared.
"""

import asyncio
import gc
import json
import weakref
from collections.abc import Awaitable
from typing import Any

from aiokafka import ConsumerRecord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from shared.contracts.recruitment import ApplicationSubmitted
from shared.envelope import Envelope
from shared.kafka import BatchConsumer, describe_error
from shared.metrics import EventMetrics
from shared.topics import Topic, dead_letter_topic
from tests.e2e.applicants import applicant, submitted_event

TOPIC = Topic.APPLICATION_SUBMITTED.value
REASONS = {"not_json", "schema_invalid", "forbidden_data", "wrong_topic", "too_large"}
MAX_BYTES = 4096
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class RecordingBroker:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def publish(self, body: bytes, topic: str, **options: Any) -> Awaitable[None]:
        self.published.append({"body": body, "topic": topic, **options})
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class EveryEventIsNew:
    async def claim(self, event_ids: list[str], topic: str) -> set[str]:
        return set(event_ids)

    async def complete(self, event_ids: list[str]) -> None:
        return None


def consumer(handled: list[Envelope[ApplicationSubmitted]]) -> BatchConsumer[Any]:
    async def handler(events: list[Envelope[ApplicationSubmitted]]) -> None:
        handled.extend(events)

    return BatchConsumer(
        TOPIC,
        ApplicationSubmitted,
        handler,
        group_id="fuzz",
        broker=RecordingBroker(),  # type: ignore[arg-type]
        inbox=EveryEventIsNew(),  # type: ignore[arg-type]
        metrics=EventMetrics(CollectorRegistry()),
        max_message_bytes=MAX_BYTES,
    )


def record(value: bytes | None, offset: int = 0) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(TOPIC, 0, offset, 0, 0, b"key", value, None, 3, len(value or b""), [])


def decoded_or_reason(value: bytes | None) -> tuple[bool, str]:
    """(True, "") when the kit accepts `value`, else (False, the dead-letter reason)."""
    try:
        consumer([]).decode(record(value))
    except ValueError as error:  # the only kind the kit handles; anything else fails here
        reason, _ = describe_error(error)
        return False, reason
    return True, ""


# -- inputs ----------------------------------------------------------------------------------
PERSON = applicant(name="김보안", phone="010-2468-1357", email="secret.person@example.org")
_, VALID = submitted_event("call-fuzz", PERSON)
PERSONAL = ("김보안", "010-2468-1357", "01024681357", "secret.person@example.org")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths(value, (*prefix, index))
    return found


VALID_DOCUMENT = json.loads(VALID)
FIELD_PATHS = paths(VALID_DOCUMENT)


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def removed(document: Any, path: tuple[Any, ...]) -> Any:
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return copy


# -- properties ------------------------------------------------------------------------------
@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes_are_refused_with_a_reason_and_never_raise_anything_else(
    value: bytes,
) -> None:
    accepted, reason = decoded_or_reason(value)
    assert not accepted
    assert reason in REASONS


@FUZZ
@given(st.sampled_from(FIELD_PATHS), json_values)
def test_an_envelope_with_any_field_replaced_is_accepted_or_refused_with_a_reason(
    path: tuple[Any, ...], value: Any
) -> None:
    accepted, reason = decoded_or_reason(json.dumps(replaced(VALID_DOCUMENT, path, value)).encode())
    assert accepted or reason in REASONS


@FUZZ
@given(st.sampled_from(FIELD_PATHS))
def test_an_envelope_missing_any_field_is_accepted_only_if_that_field_is_optional(
    path: tuple[Any, ...],
) -> None:
    accepted, reason = decoded_or_reason(json.dumps(removed(VALID_DOCUMENT, path)).encode())
    assert accepted or reason in REASONS
    if path in {("event_id",), ("data",), ("data", "application_id"), ("data", "applicant")}:
        assert not accepted and reason == "schema_invalid"


@FUZZ
@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.integers(0, 255))
def test_a_valid_envelope_with_one_byte_changed_never_raises_anything_but_a_refusal(
    where: int, byte: int
) -> None:
    value = VALID[:where] + bytes([byte]) + VALID[where + 1 :]
    accepted, reason = decoded_or_reason(value)
    assert accepted or reason in REASONS


@FUZZ
@given(st.integers(min_value=0, max_value=len(VALID) - 1))
def test_a_truncated_envelope_is_refused_as_not_json(cut: int) -> None:
    assert decoded_or_reason(VALID[:cut]) == (False, "not_json")


@FUZZ
@given(
    st.text(min_size=1, max_size=30).filter(str.strip),
    st.from_regex(r"010-[0-9]{4}-[0-9]{4}", fullmatch=True),
    st.emails(),
)
def test_valid_envelopes_always_pass(name: str, phone: str, email: str) -> None:
    person = applicant(name=name, phone=phone, email=email)
    _, value = submitted_event("call-fuzz", person)
    accepted, reason = decoded_or_reason(value)
    assert accepted, reason


@FUZZ
@given(st.sampled_from(["data.applicant.note", "data.extra"]), st.booleans())
def test_a_resident_registration_number_anywhere_is_refused_as_forbidden_data(
    where: str, hyphen: bool
) -> None:
    rrn = "850302-1234567" if hyphen else "8503021234567"
    document = json.loads(VALID)
    if where == "data.extra":
        document["data"]["extra"] = rrn
    else:
        document["data"]["applicant"]["note"] = f"주민번호 {rrn}"
    assert decoded_or_reason(json.dumps(document, ensure_ascii=False).encode()) == (
        False,
        "forbidden_data",
    )


def test_a_record_over_the_size_limit_is_refused_before_it_is_parsed() -> None:
    huge = b'{"event_id": "' + b"x" * MAX_BYTES + b'"}'
    assert decoded_or_reason(huge) == (False, "too_large")
    assert decoded_or_reason(None) == (False, "not_json")  # a tombstone


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=200).map(lambda b: ("bad", b)),
            st.just(("valid", b"")),
            st.integers(0, len(VALID) - 2).map(lambda cut: ("bad", VALID[:cut])),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_a_batch_hands_on_every_valid_event_and_dead_letters_every_bad_record_with_a_reason(
    batch: list[tuple[str, bytes]],
) -> None:
    values = [
        submitted_event("call-fuzz", PERSON)[1] if kind == "valid" else v for kind, v in batch
    ]
    handled: list[Envelope[ApplicationSubmitted]] = []
    kit = consumer(handled)
    asyncio.run(kit.consume([record(v, offset) for offset, v in enumerate(values)]))
    broker: RecordingBroker = kit.broker  # type: ignore[assignment]
    valid = sum(kind == "valid" for kind, _ in batch)
    assert len(handled) == valid
    assert len(broker.published) == len(batch) - valid
    for sent in broker.published:
        assert sent["topic"] == dead_letter_topic(TOPIC)
        headers = sent["headers"]
        assert headers["dlq.reason"] in REASONS
        assert headers["dlq.consumer.group"] == "fuzz"
        assert not any(secret in headers["dlq.error"] for secret in PERSONAL)


def test_a_batch_holding_refused_records_is_freed_once_handled() -> None:
    """A refused record's error must not keep the batch alive: a pydantic ValidationError that
    wraps an exception raised in a validator keeps it, its traceback and the batch's frame,
    in a cycle the garbage collector cannot see. Once that leaked the whole batch (500
    records and their events, a few MB) per forbidden message, for good."""
    forbidden = json.loads(VALID)
    forbidden["data"]["applicant"]["note"] = "주민번호 850302-1234567"
    values = [
        *(submitted_event("call-fuzz", PERSON)[1] for _ in range(20)),
        json.dumps(forbidden, ensure_ascii=False).encode(),
        VALID.replace(b'"010-', b'"999-'),  # a phone number the schema refuses
        b"not json",
    ]
    records = [record(value, offset) for offset, value in enumerate(values)]
    handled: list[Envelope[ApplicationSubmitted]] = []
    kit = consumer(handled)
    asyncio.run(kit.consume(records))
    reasons = [sent["headers"]["dlq.reason"] for sent in kit.broker.published]  # type: ignore[attr-defined]
    assert (len(handled), reasons) == (20, ["forbidden_data", "schema_invalid", "not_json"])

    alive = [weakref.ref(r) for r in records]
    del records, handled, kit
    gc.collect()
    assert sum(ref() is not None for ref in alive) == 0
