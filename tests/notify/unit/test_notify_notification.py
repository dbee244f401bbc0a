"""A notification's identity and life: planned, attempted, sent or failed."""

from datetime import datetime, timedelta
from random import Random

import pytest

from services.notify.domain.catalog import template
from services.notify.domain.channels import Channel
from services.notify.domain.notification import (
    Notification,
    Recipient,
    Status,
    email_message_id,
    notification_id,
)
from services.notify.domain.quiet_hours import QuietHours
from services.notify.domain.retry import Jitter, RetryPolicy, Verdict
from services.notify.domain.samples import sample
from shared.clock import SEOUL
from shared.contracts.recruitment import ApplicationSubmitted, Consents

EVENT_ID = "0b5e7c1a-2f4d-4c7b-9a51-3d2e8f6a4b10"
NOON = datetime(2025, 5, 12, 12, 0, tzinfo=SEOUL)
QUIET = QuietHours()
POLICY = RetryPolicy(max_attempts=3)
HONG = Recipient(
    "P-7F3A21", "홍길동", "01012345678", "hong@example.com", Consents(sms=True, email=True)
)


def planned(
    channel: Channel = "sms",
    template_name: str = "application_received",
    now: datetime = NOON,
    recipient: Recipient = HONG,
) -> Notification:
    return Notification.plan(
        source_event_id=EVENT_ID,
        source_event_type="recruitment.application.submitted",
        recipient=recipient,
        channel=channel,
        template=template(template_name),
        now=now,
        quiet_hours=QUIET,
    )


def test_the_id_is_stable_per_event_and_channel() -> None:
    assert notification_id(EVENT_ID, "sms") == notification_id(EVENT_ID, "sms")
    assert notification_id(EVENT_ID, "sms") != notification_id(EVENT_ID, "email")
    assert notification_id(EVENT_ID, "sms") != notification_id(EVENT_ID[:-1] + "1", "sms")


def test_the_id_does_not_change_between_releases() -> None:
    # Stored notifications and gateway message ids depend on it: it must never drift.
    assert notification_id(EVENT_ID, "sms") == "abe314f7-1e19-5871-ba61-1cd81d919c2f"


def test_the_email_message_id_is_derived_from_the_notification_id() -> None:
    nid = notification_id(EVENT_ID, "email")

    assert email_message_id(nid) == f"<{nid}@jobs.seoul.example>"


def test_the_recipient_comes_from_the_application() -> None:
    application = sample("application_received").data
    assert isinstance(application, ApplicationSubmitted)

    recipient = Recipient.from_application(application)

    assert recipient == HONG
    assert recipient.channels() == ["sms", "email"]


def test_planning_uses_the_id_the_address_and_quiet_hours() -> None:
    night = datetime(2025, 5, 12, 22, 30, tzinfo=SEOUL)

    notification = planned(now=night)

    assert notification.notification_id == notification_id(EVENT_ID, "sms")
    assert notification.recipient == "01012345678"
    assert notification.recipient_masked == "010-****-5678"
    assert notification.due_at == datetime(2025, 5, 13, 8, 0, tzinfo=SEOUL)
    assert notification.status is Status.PENDING


def test_an_urgent_template_is_due_at_once_even_at_night() -> None:
    night = datetime(2025, 5, 12, 22, 30, tzinfo=SEOUL)

    assert planned(template_name="seat_offered", now=night).due_at == night


def test_a_delivered_attempt_marks_it_sent() -> None:
    notification = planned()

    notification.record_attempt(
        Verdict.DELIVERED, NOON, retry_policy=POLICY, quiet_hours=QUIET, rng=Random(0)
    )

    assert notification.status is Status.SENT
    assert notification.attempts == 1
    assert notification.finished_at == NOON


def test_a_transient_failure_reschedules_within_the_backoff() -> None:
    notification = planned()

    notification.record_attempt(
        Verdict.TRANSIENT,
        NOON,
        error="HTTP 503",
        retry_policy=POLICY,
        quiet_hours=QUIET,
        rng=Random(0),
    )

    assert notification.status is Status.PENDING
    assert NOON <= notification.due_at <= NOON + timedelta(seconds=2)
    assert notification.last_error == "HTTP 503"


def test_a_retry_that_would_land_in_the_night_waits_for_the_morning() -> None:
    notification = planned()
    late = datetime(2025, 5, 12, 20, 59, 55, tzinfo=SEOUL)
    ten_seconds = RetryPolicy(base=timedelta(seconds=10), jitter=Jitter.NONE)

    notification.record_attempt(
        Verdict.TRANSIENT, late, retry_policy=ten_seconds, quiet_hours=QUIET, rng=Random(0)
    )

    assert notification.due_at == datetime(2025, 5, 13, 8, 0, tzinfo=SEOUL)


def test_transient_failures_give_up_after_the_last_attempt() -> None:
    notification = planned()

    for _ in range(POLICY.max_attempts):
        notification.record_attempt(
            Verdict.TRANSIENT, NOON, retry_policy=POLICY, quiet_hours=QUIET, rng=Random(0)
        )

    assert notification.status is Status.FAILED
    assert notification.attempts == POLICY.max_attempts


def test_a_permanent_failure_is_final_at_once() -> None:
    notification = planned()

    notification.record_attempt(
        Verdict.PERMANENT,
        NOON,
        error="HTTP 400",
        retry_policy=POLICY,
        quiet_hours=QUIET,
        rng=Random(0),
    )

    assert notification.status is Status.FAILED
    assert notification.last_error == "HTTP 400"


def test_a_finished_notification_takes_no_more_attempts() -> None:
    notification = planned()
    notification.record_attempt(
        Verdict.DELIVERED, NOON, retry_policy=POLICY, quiet_hours=QUIET, rng=Random(0)
    )

    with pytest.raises(ValueError, match="already sent"):
        notification.record_attempt(
            Verdict.DELIVERED, NOON, retry_policy=POLICY, quiet_hours=QUIET, rng=Random(0)
        )


def test_postponing_spends_no_attempt_and_respects_quiet_hours() -> None:
    notification = planned()

    notification.postpone(datetime(2025, 5, 12, 21, 30, tzinfo=SEOUL), QUIET)

    assert notification.attempts == 0
    assert notification.due_at == datetime(2025, 5, 13, 8, 0, tzinfo=SEOUL)


def test_a_message_that_cannot_be_written_fails_without_an_attempt() -> None:
    notification = planned()

    notification.fail("not encodable in EUC-KR: '똠'", NOON)

    assert notification.status is Status.FAILED
    assert notification.attempts == 0


def test_a_recipient_without_the_channels_contact_cannot_be_planned() -> None:
    no_email = Recipient("P-1", "홍길동", "01012345678", None, Consents(sms=True, email=True))

    with pytest.raises(ValueError, match="no email contact"):
        no_email.address("email")


def failed_for_good(recipient: Recipient = HONG) -> Notification:
    sms = planned(recipient=recipient)
    sms.record_attempt(
        Verdict.PERMANENT,
        NOON,
        error="HTTP 400",
        retry_policy=POLICY,
        quiet_hours=QUIET,
        rng=Random(0),
    )
    return sms


def test_an_sms_failed_for_good_falls_back_to_the_email_the_event_would_have_had() -> None:
    later = NOON + timedelta(minutes=5)

    email = failed_for_good().fallback(
        HONG, ["sms"], template("application_received"), later, QUIET
    )

    assert email is not None
    assert email.notification_id == notification_id(EVENT_ID, "email")
    assert (email.channel, email.recipient, email.template) == (
        "email",
        "hong@example.com",
        "application_received",
    )
    assert email.due_at == later
    assert email.status is Status.PENDING


def test_the_fallback_email_respects_quiet_hours() -> None:
    night = datetime(2025, 5, 12, 23, 0, tzinfo=SEOUL)

    email = failed_for_good().fallback(
        HONG, ["sms"], template("application_received"), night, QUIET
    )

    assert email is not None
    assert email.due_at == datetime(2025, 5, 13, 8, 0, tzinfo=SEOUL)


def test_no_fallback_while_the_sms_may_still_go_out_or_went_out() -> None:
    pending = planned()
    sent = planned()
    sent.record_attempt(
        Verdict.DELIVERED, NOON, retry_policy=POLICY, quiet_hours=QUIET, rng=Random(0)
    )

    for sms in (pending, sent):
        assert sms.fallback(HONG, ["sms"], template("application_received"), NOON, QUIET) is None


def test_no_fallback_when_an_email_was_planned_for_the_event_or_is_not_allowed() -> None:
    sms_only = Recipient(
        "P-7F3A21", "홍길동", "01012345678", "hong@example.com", Consents(sms=True, email=False)
    )
    no_address = Recipient(
        "P-7F3A21", "홍길동", "01012345678", None, Consents(sms=True, email=True)
    )
    name = template("application_received")

    assert failed_for_good().fallback(HONG, ["sms", "email"], name, NOON, QUIET) is None
    assert failed_for_good(sms_only).fallback(sms_only, ["sms"], name, NOON, QUIET) is None
    assert failed_for_good().fallback(no_address, ["sms"], name, NOON, QUIET) is None


def test_a_number_refused_for_good_is_not_used_again_but_a_new_number_is() -> None:
    refused = HONG.reachable(["01012345678"])
    moved = Recipient(
        "P-7F3A21", "홍길동", "01099998888", "hong@example.com", Consents(sms=True, email=True)
    ).reachable(["01012345678"])

    assert refused.phone is None
    assert refused.channels() == ["email"]
    assert moved.channels() == ["sms", "email"]
    assert HONG.reachable([]) is HONG
