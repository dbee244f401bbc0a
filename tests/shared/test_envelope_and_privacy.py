"""The shared event kit without a broker: envelope, forbidden data, masking, logs, settings."""

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.contracts.placement import EmploymentReported
from shared.envelope import (
    SEARCHED_FOR_FORBIDDEN_DATA,
    Envelope,
    derive_event_id,
    find_forbidden_data,
    may_hold_forbidden_data,
    redact_forbidden_data,
)
from shared.kafka import describe_error
from shared.log import JsonFormatter, correlated
from shared.masking import mask_email, mask_personal_data, mask_phone
from shared.settings import ServiceSettings

REPORT: dict[str, Any] = {
    "report_id": "r-1",
    "applicant_id": "p-1",
    "employer": {"business_no": "123-45-67890", "name": "서울상사"},
    "job_title": "웹 개발자",
    "employment_type": "permanent",
    "start_date": "2025-09-01",
    "source": "employer",
    "reported_at": "2025-09-03T10:00:00+09:00",
}


def envelope(data: dict[str, Any], **overrides: object) -> dict[str, object]:
    return {
        "event_id": "e-1",
        "event_type": "placement.employment.reported",
        "schema_version": 1,
        "occurred_at": "2025-09-03T10:00:00+09:00",
        "producer": "employment_insurance",
        "correlation_id": "app-1",
        "causation_id": None,
        "data": data,
        **overrides,
    }


def test_a_contract_envelope_validates_into_typed_data() -> None:
    event = Envelope[EmploymentReported].model_validate(envelope(REPORT))
    assert event.data.employer.name == "서울상사"
    assert event.occurred_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_at": "2025-09-03T10:00:00"}, "occurred_at"),  # naive time
        ({"schema_version": 2}, "schema_version"),
        ({"extra": 1}, "extra"),
    ],
    ids=["naive time is refused", "unknown schema version is refused", "unknown field is refused"],
)
def test_envelope_rejects(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        Envelope[EmploymentReported].model_validate(envelope(REPORT, **change))
    _, detail = describe_error(error.value)
    assert field in detail


@pytest.mark.parametrize(
    "carrier",
    [
        {"note": "주민번호 850302-1234567"},
        {"note": "8503021234567"},
        {"rrn": "x"},
    ],
    ids=["hyphenated number in text", "bare 13 digits", "a field named rrn"],
)
def test_resident_registration_numbers_are_forbidden_wherever_they_hide(
    carrier: dict[str, str],
) -> None:
    raw = envelope({**REPORT, "employer": {**REPORT["employer"], **carrier}})
    assert find_forbidden_data(raw) is not None
    with pytest.raises(ValidationError) as error:
        Envelope[EmploymentReported].model_validate(raw)
    reason, detail = describe_error(error.value)
    assert reason == "forbidden_data"
    assert "850302" not in detail


def test_phone_business_and_dates_are_not_mistaken_for_resident_numbers() -> None:
    assert find_forbidden_data(envelope(REPORT) | {"x": "010-1234-5678 01012345678"}) is None


def test_redaction_masks_only_the_resident_number_digit_for_digit() -> None:
    raw = b'{"note": "850302-1234567", "phone": "010-1234-5678"}'
    redacted = redact_forbidden_data(raw)
    assert len(redacted) == len(raw)
    assert json.loads(redacted) == {"note": "******-*******", "phone": "010-1234-5678"}


def test_derived_event_ids_are_stable_and_distinct() -> None:
    assert derive_event_id("a", "b") == derive_event_id("a", "b")
    assert derive_event_id("a", "b") != derive_event_id("ab", "")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("010-1234-5678", "010-****-5678"),
        ("01012345678", "010-****-5678"),
        ("hong@example.com", "h***@example.com"),
        ("연락처 010 9876 5432 / kim.c@seoul.go.kr", "연락처 010-****-5432 / k***@seoul.go.kr"),
    ],
)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


def test_mask_functions_leave_other_text_alone() -> None:
    assert mask_phone("2025-07-01") == "2025-07-01"
    assert mask_email("no address") == "no address"


def test_log_lines_are_json_with_correlation_id_and_masked_personal_data() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "sent to %s", ("010-1234-5678",), None
    )
    record.email = "hong@example.com"
    with correlated("app-42"):
        line = json.loads(JsonFormatter("notify").format(record))
    assert line["correlation_id"] == "app-42"
    assert line["msg"] == "sent to 010-****-5678"
    assert line["email"] == "h***@example.com"
    assert line["service"] == "notify"


def test_a_log_line_about_no_one_event_carries_no_null_correlation_id() -> None:
    """FastStream's per-batch lines and the kit's batch summary are about many events: they
    leave the field out rather than print `correlation_id: null`."""
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "batch handled", (), None)
    line = json.loads(JsonFormatter("recruitment").format(record))
    assert "correlation_id" not in line


def test_faststreams_own_per_batch_lines_are_below_info() -> None:
    from faststream.kafka import KafkaBroker
    from prometheus_client import CollectorRegistry

    from shared.kafka import make_broker

    broker: KafkaBroker = make_broker("localhost:1", service="t", registry=CollectorRegistry())
    assert broker.config.logger.log_level == logging.DEBUG


def test_settings_read_exactly_the_contract_variable_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("MONGODB_URI", "mongodb://mongo:27017")
    settings = ServiceSettings()
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.mongodb_uri == "mongodb://mongo:27017"
    assert settings.database_name("notify") == "ilteo_notify"


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.from_regex(r"\d{6}-?[1-8]\d{6}", fullmatch=True)
    | st.sampled_from(["850302-1234567", "010-1234-5678", "123-45-67890", "홍길동"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["rrn", "RRN", "jumin_no", "Jumin", "name"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(value=_json_values, ascii_only=st.booleans())
def test_the_quick_look_at_raw_json_never_clears_what_the_full_walk_would_refuse(
    value: Any, ascii_only: bool
) -> None:
    raw = json.dumps({"data": value}, ensure_ascii=ascii_only).encode()
    if not may_hold_forbidden_data(raw):
        assert find_forbidden_data(json.loads(raw)) is None


def test_an_event_cleared_by_the_quick_look_still_validates_in_full() -> None:
    raw = json.dumps(envelope(REPORT)).encode()
    assert not may_hold_forbidden_data(raw)
    event = Envelope[EmploymentReported].model_validate_json(
        raw, context=SEARCHED_FOR_FORBIDDEN_DATA
    )
    assert event.data.report_id == REPORT["report_id"]


def test_the_envelope_a_publisher_writes_reads_back_as_the_envelope_of_the_contract() -> None:
    from unittest.mock import Mock

    from shared.clock import now_kst
    from shared.kafka import EventPublisher, Outgoing

    report = EmploymentReported.model_validate(REPORT)
    publisher: EventPublisher[EmploymentReported] = EventPublisher(
        Mock(), "placement.employment.reported", producer="placement"
    )
    at = now_kst()
    raw = publisher.envelope(Outgoing(report, "p-1", "e-1", "app-1", "cause-1"), at)
    event = Envelope[EmploymentReported].model_validate_json(raw)
    assert event == Envelope[EmploymentReported](
        event_id="e-1",
        event_type="placement.employment.reported",
        occurred_at=at,
        producer="placement",
        correlation_id="app-1",
        causation_id="cause-1",
        data=report,
    )
    assert json.loads(raw)["schema_version"] == 1
