"""Notify delivers each notification once per channel, on the real broker, database, SMTP sink
and SMS gateway: through a gateway that fails, throttles and hangs; past a number the gateway
refuses for good; after quiet hours; and across a SIGKILL in the middle of a burst."""

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.stack import Service, SmsGatewaySink, free_port
from services.notify.adapters.store import NotifyStore
from services.notify.app import NotifySettings, create_app
from services.notify.domain.notification import notification_id, receipt_of
from shared.clock import SEOUL
from shared.mongo import make_mongo_client
from shared.topics import Topic
from tests.conftest import (
    SMS_TOKEN,
    MovableClock,
    Stack,
    as_environment,
    collect,
    daytime_clock,
    publish,
    publish_many,
    running,
    wait_for,
)
from tests.e2e.applicants import applicant, submitted_event

pytestmark = pytest.mark.integration

BURST = 1_000
# Time enough for notify to plan the whole burst before its quiet hours end (~40 s here).
RUSH_AFTER_SECONDS = 60


# -- the sinks, seen per citizen ---------------------------------------------------------------
@contextmanager
def sms_gateway(directory: Path, **faults: Any) -> Iterator[SmsGatewaySink]:
    """A gateway of this test's own (fresh /stats, its own faults) on a free port."""
    gateway = SmsGatewaySink(free_port(), directory, token=SMS_TOKEN, **faults)
    gateway.start()
    try:
        gateway.wait_ready(30)
        yield gateway
    finally:
        gateway.stop()


def gateway_stats(gateway: SmsGatewaySink) -> Counter[str]:
    return Counter(httpx.get(f"{gateway.base_url}/stats", timeout=5).json())


def digits(person: dict[str, Any]) -> str:
    return str(person["phone"]).replace("-", "")


def sms_to(gateway: SmsGatewaySink, people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct messages the gateway accepted for these citizens."""
    numbers = {digits(person) for person in people}
    return [m for m in gateway.messages() if m["to"] in numbers]


def mail_to(stack: Stack, people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every e-mail the SMTP sink received for these citizens, duplicates included."""
    addresses = {person["email"] for person in people}
    return [m for m in stack.smtp.messages() if set(m["to"]) & addresses]


# -- notify, in this process or as a process of its own --------------------------------------
@asynccontextmanager
async def notify(
    stack: Stack, clock: Callable[[], datetime], **settings: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, NotifyStore]]:
    """Notify in this process with `settings` over the stack's, and a view of its database."""
    env = stack.notify_env() | settings
    async with running(create_app(NotifySettings(**env), clock=clock)) as client:
        yield client, NotifyStore(make_mongo_client(stack.mongodb_uri)[env["mongodb_database"]])


async def apply(stack: Stack, people: list[dict[str, Any]]) -> list[str]:
    """Each citizen applies once (a partner's recruitment.application.submitted); the
    application ids."""
    events = [submitted_event("call-notify-test", person) for person in people]
    await publish_many(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, events)
    return [application_id for application_id, _ in events]


def notify_process(settings: dict[str, Any], gateway: SmsGatewaySink, folder: Path) -> Service:
    """notify as a process of its own (to kill or stop), sending to `gateway`."""
    return Service(
        "notify",
        free_port(),
        as_environment(settings | {"sms_gateway_url": gateway.url}),
        log_file=folder / "notify.log",
    )


async def history(client: httpx.AsyncClient, person: dict[str, Any]) -> list[dict[str, Any]]:
    answer = await client.get(f"/citizens/{person['applicant_id']}/notifications")
    assert answer.status_code == 200
    notifications: list[dict[str, Any]] = answer.json()["notifications"]
    return notifications


async def planned(
    client: httpx.AsyncClient, person: dict[str, Any], at_least: int
) -> list[dict[str, Any]] | None:
    """The citizen's notifications once there are `at_least` of them."""
    notifications = await history(client, person)
    return notifications if len(notifications) >= at_least else None


# -- the tests -------------------------------------------------------------------------------
async def test_through_a_gateway_failing_a_third_of_the_time_each_message_arrives_once(
    stack: Stack, tmp_path: Path
) -> None:
    """The gateway answers 503, 429 or hangs past the client's timeout on ~30% of requests
    (seeded): every citizen still gets exactly one SMS and one e-mail, after retries."""
    people = [applicant() for _ in range(30)]
    faults = {"fail_rate": 0.1, "throttle_rate": 0.1, "timeout_rate": 0.1}
    with sms_gateway(tmp_path / "sms", **faults, timeout_seconds=2.0, seed=11) as gateway:
        async with notify(
            stack,
            daytime_clock(),
            sms_gateway_url=gateway.url,
            sms_timeout_seconds=0.5,  # the gateway holds a "timeout" for 2 s
            retry_base_seconds=0.2,
            retry_max_seconds=1.0,
            retry_max_attempts=30,
            breaker_cool_down_seconds=1.0,
        ) as (client, _):
            await apply(stack, people)
            await wait_for(
                lambda: len(sms_to(gateway, people)) >= 30 and len(mail_to(stack, people)) >= 30,
                within=120,
                settle=3.0,
            )
            histories = [await history(client, person) for person in people]
        stats = gateway_stats(gateway)

    print(f"\nfaulty gateway: {dict(stats)}")
    assert stats["injected_503"] > 0 and stats["injected_429"] > 0
    assert stats["injected_timeout"] > 0
    injected = stats["injected_503"] + stats["injected_429"] + stats["injected_timeout"]
    assert injected >= 0.2 * stats["requests"]  # faults were the rule, not a fluke
    assert stats["accepted"] == 30
    sms = sms_to(gateway, people)
    assert Counter(m["to"] for m in sms) == Counter(digits(p) for p in people)
    mail = mail_to(stack, people)
    assert Counter(to for m in mail for to in m["to"]) == Counter(p["email"] for p in people)
    statuses = Counter((n["channel"], n["status"]) for h in histories for n in h)
    assert statuses == {("sms", "sent"): 30, ("email", "sent"): 30}
    sms_attempts = sum(n["attempts"] for h in histories for n in h if n["channel"] == "sms")
    assert sms_attempts > 30  # retried, and the retries are what got them through


async def test_a_number_refused_for_good_fails_and_the_citizen_hears_by_email_only(
    stack: Stack, tmp_path: Path
) -> None:
    """The gateway answers 400 for the citizen's number: the SMS is recorded as failed
    (notify.notification.failed), the citizen reads the same news by e-mail, and their next
    message goes by e-mail without trying the number again."""
    person = applicant()
    with sms_gateway(tmp_path / "sms", permanent_fail_numbers=[digits(person)]) as gateway:
        async with notify(stack, daytime_clock(), sms_gateway_url=gateway.url) as (client, _):
            (first,) = await apply(stack, [person])
            failed = await collect(
                stack.bootstrap_servers,
                [Topic.NOTIFICATION_FAILED.value],
                lambda r: json.loads(r.value)["data"]["applicant_id"] == person["applicant_id"],
                expected=1,
            )
            assert await wait_for(lambda: mail_to(stack, [person]))
            (second,) = await apply(stack, [person])  # applies again, with the same number
            await wait_for(lambda: len(mail_to(stack, [person])) >= 2, settle=2.0)
            notifications = await history(client, person)
        stats = gateway_stats(gateway)

    assert len(failed) == 1
    data = json.loads(failed[0].value)["data"]
    assert (data["channel"], data["template"], data["attempts"]) == (
        "sms",
        "application_received",
        1,
    )
    assert data["error"].startswith("HTTP 400")
    mail = mail_to(stack, [person])
    assert len(mail) == 2
    assert first in mail[0]["text"] and second in mail[1]["text"]
    assert stats["rejected_number"] == 1  # tried once, not again for the second application
    assert sms_to(gateway, [person]) == []
    assert sorted((n["channel"], n["status"]) for n in notifications) == [
        ("email", "sent"),
        ("email", "sent"),
        ("sms", "failed"),
    ]


async def test_an_sms_failing_for_good_falls_back_to_an_email_address_given_since(
    stack: Stack, tmp_path: Path
) -> None:
    """A citizen applies at night with a phone only; the receipt SMS waits for 08:00. They
    apply again with an e-mail address. At 08:00 the gateway refuses the number for good:
    the first receipt, planned for SMS only, now reaches them by e-mail."""
    person = applicant(email=None)
    with sms_gateway(tmp_path / "sms", permanent_fail_numbers=[digits(person)]) as gateway:
        clock = MovableClock(datetime(2025, 11, 10, 22, 30, tzinfo=SEOUL))
        async with notify(stack, clock, sms_gateway_url=gateway.url) as (client, _):
            (first,) = await apply(stack, [person])
            assert await wait_for(lambda: planned(client, person, 1))
            person = {**person, "email": f"later{uuid.uuid4().hex[:8]}@example.com"}
            (second,) = await apply(stack, [person])
            assert await wait_for(lambda: planned(client, person, 3))
            assert mail_to(stack, [person]) == []
            clock.move_to(datetime(2025, 11, 11, 8, 0, tzinfo=SEOUL))
            await wait_for(lambda: len(mail_to(stack, [person])) >= 2, settle=2.0)
            notifications = await history(client, person)
        stats = gateway_stats(gateway)

    mail = mail_to(stack, [person])
    assert len(mail) == 2
    assert sorted(a for m in mail for a in (first, second) if a in m["text"]) == sorted(
        [first, second]
    )
    assert stats["rejected_number"] == 2
    assert sorted((n["channel"], n["status"]) for n in notifications) == [
        ("email", "sent"),
        ("email", "sent"),
        ("sms", "failed"),
        ("sms", "failed"),
    ]


def screened_event(application_id: str, person: dict[str, Any], reasons: int) -> bytes:
    """recruitment.application.screened: not eligible, for `reasons` long reasons."""
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_type": Topic.APPLICATION_SCREENED.value,
        "schema_version": 1,
        "occurred_at": datetime.now(SEOUL).isoformat(),
        "producer": "recruitment",
        "correlation_id": application_id,
        "causation_id": None,
        "data": {
            "application_id": application_id,
            "call_id": "call-notify-test",
            "applicant_id": person["applicant_id"],
            "program_id": "companion-jobs",
            "call_title": "2025년 하반기 서울 동행일자리 참여자 모집",
            "eligible": False,
            "failed_rules": [
                {
                    "code": f"rule.{n}",
                    "message": f"{n}번째 사유: 신청일 기준으로 서울특별시에 주민등록이 되어 "
                    "있어야 하며 고용보험 가입 이력이 확인되어야 합니다.",
                }
                for n in range(reasons)
            ],
            "checked_rules": [f"rule.{n}" for n in range(reasons)],
            "score": None,
            "screened_at": datetime.now(SEOUL).isoformat(),
        },
    }
    return json.dumps(envelope, ensure_ascii=False).encode()


async def test_news_that_came_before_the_application_too_long_for_an_lms_fails_at_once(
    stack: Stack,
) -> None:
    """The screening result overtakes the application (it waits for the contact), and its
    reasons do not fit an LMS: once the application comes, that SMS fails at once, without an
    attempt, and is reported as failed; the e-mail with every reason goes out, and so do the
    receipts."""
    person = applicant()
    application_id, application = submitted_event("call-notify-test", person)
    async with notify(stack, daytime_clock()) as (client, _):
        await publish(
            stack.bootstrap_servers,
            Topic.APPLICATION_SCREENED,
            screened_event(application_id, person, reasons=30),
            key=application_id,
        )
        await asyncio.sleep(2.0)
        assert await history(client, person) == []  # kept until the contact comes
        await publish(
            stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, application, key=application_id
        )
        failed = await collect(
            stack.bootstrap_servers,
            [Topic.NOTIFICATION_FAILED.value],
            lambda r: json.loads(r.value)["data"]["applicant_id"] == person["applicant_id"],
            expected=1,
        )
        await wait_for(lambda: len(mail_to(stack, [person])) >= 2, settle=2.0)
        notifications = await history(client, person)

    assert len(failed) == 1
    data = json.loads(failed[0].value)["data"]
    assert (data["channel"], data["template"], data["attempts"]) == ("sms", "screening_failed", 0)
    assert data["error"].startswith("template: ") and "LMS" in data["error"]
    assert [m["text"] for m in sms_to(stack.sms, [person])] == [
        f"[서울시 일자리] {person['name']}님, 신청이 접수되었습니다. 접수번호 {application_id}"
    ]
    mail = mail_to(stack, [person])
    assert len(mail) == 2
    (reasons,) = [m for m in mail if "자격 심사" in m["subject"]]
    assert all(f"{n}번째 사유" in reasons["text"] for n in range(30))
    assert sorted((n["template"], n["channel"], n["status"]) for n in notifications) == [
        ("application_received", "email", "sent"),
        ("application_received", "sms", "sent"),
        ("screening_failed", "email", "sent"),
        ("screening_failed", "sms", "failed"),
    ]


async def test_a_message_due_at_half_past_ten_at_night_goes_out_at_eight(
    stack: Stack,
) -> None:
    """At 22:30 KST the application arrives: nothing is sent, both notifications are
    scheduled for 08:00 the next day. At 07:59 still nothing; at 08:00 both go out."""
    clock = MovableClock(datetime(2025, 11, 10, 22, 30, tzinfo=SEOUL))
    person = applicant()
    async with notify(stack, clock) as (client, _):
        await apply(stack, [person])
        scheduled = await wait_for(lambda: planned(client, person, 2))
        await asyncio.sleep(2.0)  # the delivery loop polls every 0.05 s: time enough to send
        assert mail_to(stack, [person]) == [] and sms_to(stack.sms, [person]) == []
        metrics = (await client.get("/metrics")).text
        clock.move_to(datetime(2025, 11, 11, 7, 59, tzinfo=SEOUL))
        await asyncio.sleep(2.0)
        assert mail_to(stack, [person]) == [] and sms_to(stack.sms, [person]) == []
        clock.move_to(datetime(2025, 11, 11, 8, 0, tzinfo=SEOUL))
        await wait_for(lambda: mail_to(stack, [person]) and sms_to(stack.sms, [person]), settle=2.0)
        sent = await history(client, person)

    morning = datetime(2025, 11, 11, 8, 0, tzinfo=SEOUL)
    assert {(n["channel"], n["status"]) for n in scheduled} == {
        ("sms", "pending"),
        ("email", "pending"),
    }
    assert {datetime.fromisoformat(n["due_at"]) for n in scheduled} == {morning}
    assert 'ilteo_notifications_deferred_total{template="application_received"} 2.0' in metrics
    assert len(mail_to(stack, [person])) == 1 and len(sms_to(stack.sms, [person])) == 1
    assert {n["status"] for n in sent} == {"sent"}
    assert all(datetime.fromisoformat(n["finished_at"]) >= morning for n in sent)


async def test_a_sigkill_in_a_morning_rush_loses_nothing_and_repeats_only_what_was_in_flight(
    stack: Stack, tmp_path: Path
) -> None:
    """1,000 applications arrive during quiet hours that end a minute later, when all 2,000
    notifications fall due at once. notify, a real process, is SIGKILLed in the middle of that
    rush, with sends in flight, and started again. Every citizen gets their SMS and their
    e-mail: the gateway holds exactly 1,000 distinct message ids, one per citizen; the SMTP
    sink exactly 1,000 distinct Message-IDs, one per citizen; each outcome event is published.

    SMTP cannot de-duplicate: an e-mail the server took in the instant between its reply and
    notify recording it (an insert made at once) is sent again after the restart, with the
    same Message-ID. Only such e-mails may arrive twice: their first copy came just before the
    kill, the second after the restart, and there are no more of them than notifications the
    restarted process took over. The SMTP sink counts every e-mail, repeats included."""
    run = uuid.uuid4().int % 10**4
    people = [
        applicant(phone=f"010-{run:04d}-{i:04d}", email=f"burst{run}-{i}@example.com")
        for i in range(BURST)
    ]
    events = [submitted_event("call-burst", person) for person in people]
    notification_ids = {
        notification_id(receipt_of(application_id), channel)
        for application_id, _ in events
        for channel in ("sms", "email")
    }
    # A process of its own runs on the real clock. Its quiet hours are set to end at `rush`,
    # whenever in Seoul the test runs: nothing is held back longer, and the whole burst is
    # planned first and then sent at once (what 08:00 looks like after a busy night).
    now = datetime.now(SEOUL)
    rush = (now + timedelta(seconds=RUSH_AFTER_SECONDS)).replace(microsecond=0)
    settings = stack.notify_env() | {
        "quiet_hours_start": (now - timedelta(minutes=1)).strftime("%H:%M:%S"),
        "quiet_hours_end": rush.strftime("%H:%M:%S"),
        "sms_rate_per_second": 1_000,
        "email_rate_per_second": 1_000,
        "delivery_lease_seconds": 10,
        "log_level": "WARNING",
    }
    store = NotifyStore(make_mongo_client(stack.mongodb_uri)[settings["mongodb_database"]])
    with sms_gateway(tmp_path / "sms") as gateway:
        process = notify_process(settings, gateway, tmp_path)

        def delivered() -> tuple[int, int]:
            return len(sms_to(gateway, people)), len(mail_to(stack, people))

        try:
            began = time.monotonic()
            process.start()
            process.wait_ready(90)
            await publish_many(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, events)
            published = time.monotonic()

            async def all_planned() -> bool:
                return await store.backlog() == 2 * BURST

            await wait_for(all_planned, within=(rush - datetime.now(SEOUL)).total_seconds() - 3)
            planned, planned_after = await store.backlog(), time.monotonic() - published
            checked_at, held_back = datetime.now(SEOUL), delivered()
            assert checked_at < rush and held_back == (0, 0), "sent during quiet hours"
            assert await wait_for(lambda: sum(delivered()) >= 2 * BURST // 3, within=180)
            process.kill()
            killed, killed_at = time.monotonic(), datetime.now(UTC)
            at_kill = delivered()
            assert sum(at_kill) < 2 * BURST, "killed after the last delivery: proves nothing"

            restarted_at = datetime.now(UTC)
            process.start()
            process.wait_ready(90)
            restarted = time.monotonic()
            assert await wait_for(lambda: min(delivered()) >= BURST, within=240)
            all_delivered = time.monotonic()

            async def all_done() -> bool:
                return await store.backlog() == 0 and await store.count_by_status() == {
                    "sent": 2 * BURST
                }

            # Done means sent and reported; a resend after the lease would come before that.
            assert await wait_for(all_done, within=60)
            done = time.monotonic()
            await asyncio.sleep(2.0)
        finally:
            process.stop()
        stats = gateway_stats(gateway)
        sms, mail = sms_to(gateway, people), mail_to(stack, people)
    log = process.log_file.read_text(encoding="utf-8")
    taken_over = log.count("taking it over")
    not_resent = log.count("recorded, not sent again")
    copies: dict[str, list[datetime]] = {}
    for m in mail:
        copies.setdefault(m["message_id"], []).append(datetime.fromisoformat(m["received_at"]))
    repeated = {mid: sorted(at) for mid, at in copies.items() if len(at) > 1}
    assert all(len(at) == 2 for at in repeated.values()), "an e-mail sent three times"

    reported = await collect(
        stack.bootstrap_servers,
        [Topic.NOTIFICATION_SENT.value],
        lambda r: r.key.decode() in notification_ids,
        expected=2 * BURST,
        settle=1.0,
    )
    rush_began = published + (rush - now).total_seconds()  # roughly, on the monotonic clock
    print(
        f"\nmorning rush of {BURST} applications = {2 * BURST} notifications: notify ready "
        f"and the burst published {published - began:.1f} s after start; {planned} planned "
        f"{planned_after:.1f} s later; SIGKILL {killed - rush_began:.1f} s into the rush with "
        f"{at_kill[0]} SMS + {at_kill[1]} e-mails delivered; ready again in "
        f"{restarted - killed:.1f} s; all delivered {all_delivered - rush_began:.1f} s and all "
        f"reported {done - rush_began:.1f} s after the rush began. Gateway: {stats['requests']} "
        f"requests, {stats['accepted']} accepted, {stats['duplicates']} repeated message ids "
        f"(answered 200, stored once). SMTP sink: {len(mail)} e-mails, {len(repeated)} of them "
        f"a second copy. After the restart {taken_over} notifications were taken over from "
        f"the killed process, {not_resent} of them already sent (recorded, not sent again)."
    )
    assert taken_over > 0, "the kill left no work in flight: proves little"
    assert stats["accepted"] == BURST
    assert Counter(m["to"] for m in sms) == Counter(digits(p) for p in people)
    assert stats["duplicates"] <= taken_over - not_resent
    assert len({m["message_id"] for m in mail}) == BURST
    distinct = {m["message_id"]: m for m in mail}.values()
    assert Counter(to for m in distinct for to in m["to"]) == Counter(p["email"] for p in people)
    assert len(mail) == BURST + len(repeated)
    assert len(repeated) <= taken_over - not_resent
    for first, second in repeated.values():
        # The first copy was on its way at the kill (the sink may store it a moment after),
        # the second came from the restarted process.
        assert abs(first - killed_at) < timedelta(seconds=2), "a repeat no crash explains"
        assert second > restarted_at, "a repeat no crash explains"
    assert {r.key.decode() for r in reported} == notification_ids
    assert len({json.loads(r.value)["event_id"] for r in reported}) == 2 * BURST


DEPLOY_BURST = 300
DEPLOY_LEASE_SECONDS = 120


async def test_a_notify_stopped_for_a_deploy_hands_its_work_to_the_next_at_once(
    stack: Stack, tmp_path: Path
) -> None:
    """A deploy stops notify (SIGTERM) while it sends a burst; the new process goes on with
    the segments the old one held at once, not once their leases (two minutes here) ran out,
    and as after a crash: every citizen gets one SMS, and each outcome is reported."""
    run = uuid.uuid4().int % 10**4
    people = [
        applicant(phone=f"010-{run:04d}-{i:04d}", email=f"deploy{run}-{i}@example.com")
        for i in range(DEPLOY_BURST)
    ]
    events = [submitted_event("call-deploy", person) for person in people]
    settings = stack.notify_env() | {
        "sms_rate_per_second": 40,
        "email_rate_per_second": 40,
        "delivery_lease_seconds": DEPLOY_LEASE_SECONDS,
        "quiet_hours_start": "00:00",  # none: whenever the test runs, sending starts at once
        "quiet_hours_end": "00:00",
        "log_level": "INFO",
    }
    with sms_gateway(tmp_path / "sms") as gateway:
        process = notify_process(settings, gateway, tmp_path)
        try:
            process.start()
            process.wait_ready(90)
            await publish_many(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, events)
            assert await wait_for(lambda: len(sms_to(gateway, people)) >= 40, within=120)
            process.stop()  # SIGTERM: the deploy
            at_stop = len(sms_to(gateway, people))
            assert at_stop < DEPLOY_BURST, "stopped after the last SMS: proves nothing"

            process.start()
            process.wait_ready(90)
            restarted = time.monotonic()
            assert await wait_for(
                lambda: len({m["message_id"] for m in sms_to(gateway, people)}) >= DEPLOY_BURST,
                within=DEPLOY_LEASE_SECONDS - 30,
            ), "the new process waited for the old one's leases to run out"
            resumed_in = time.monotonic() - restarted
        finally:
            process.stop()
        stats = gateway_stats(gateway)
        sms = sms_to(gateway, people)
    log = process.log_file.read_text(encoding="utf-8")
    print(
        f"\ndeploy in a burst of {DEPLOY_BURST}: stopped with {at_stop} SMS sent; the new "
        f"process sent the rest within {resumed_in:.1f} s of being ready (leases "
        f"{DEPLOY_LEASE_SECONDS} s); gateway: {stats['duplicates']} repeated message ids"
    )
    assert "segments handed over to the next loop" in log
    assert stats["accepted"] == DEPLOY_BURST
    assert Counter(m["to"] for m in sms) == Counter(digits(p) for p in people)
