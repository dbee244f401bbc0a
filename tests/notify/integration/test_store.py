"""Notify's store on the real database (FerretDB here, MongoDB in production): what several
writers do at once is decided by inserts, so no write is lost, no lease is held twice and no
notification is queued twice."""

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.notify.adapters.store import NotifyStore
from services.notify.domain.catalog import template
from services.notify.domain.channels import Channel
from services.notify.domain.contact import ContactVersion
from services.notify.domain.lease import Lease, next_lease
from services.notify.domain.message import EmailText, SmsText
from services.notify.domain.notification import Notification, Planned, Recipient, Status
from services.notify.domain.outbox import SEGMENT_SIZE, Revision
from services.notify.domain.quiet_hours import QuietHours
from shared.clock import now_kst
from shared.contracts.recruitment import Consents
from shared.mongo import make_mongo_client
from tests.conftest import Finds, Stack, Watched

pytestmark = pytest.mark.integration

LEASE = timedelta(seconds=30)


@pytest.fixture
async def store(stack: Stack) -> AsyncIterator[NotifyStore]:
    client = make_mongo_client(stack.mongodb_uri)
    store = NotifyStore(client[f"test_notify_store_{uuid.uuid4().hex[:10]}"])
    await store.create_indexes()
    try:
        yield store
    finally:
        await client.close()


# -- leases ----------------------------------------------------------------------------------
async def test_of_fifty_loops_taking_the_same_lease_at_once_exactly_one_holds_it(
    store: NotifyStore,
) -> None:
    key, now = str(uuid.uuid4()), now_kst()
    lease = next_lease(key, None, now, LEASE)
    assert lease is not None

    taken = await asyncio.gather(*(store.take_leases([lease]) for _ in range(50)))

    assert sum(len(t) for t in taken) == 1
    latest = await store.current_leases([key])
    assert (latest[key].generation, latest[key].released) == (1, False)


async def test_a_lease_that_ran_out_is_taken_over_by_exactly_one_of_many_loops(
    store: NotifyStore,
) -> None:
    key, now = str(uuid.uuid4()), now_kst()
    assert await store.take_leases([Lease(key, 1, now - timedelta(seconds=1))])
    latest = (await store.current_leases([key]))[key]

    # Each loop read the same expired lease and tries the next generation.
    tries = [next_lease(key, latest, now, LEASE) for _ in range(50)]
    taken = await asyncio.gather(*(store.take_leases([t]) for t in tries if t is not None))

    assert sum(len(t) for t in taken) == 1
    assert (await store.current_leases([key]))[key].generation == 2


async def test_a_late_loop_giving_back_its_lease_leaves_the_new_holder_holding(
    store: NotifyStore,
) -> None:
    key, now = str(uuid.uuid4()), now_kst()
    late = Lease(key, 1, now - timedelta(seconds=1))
    await store.take_leases([late])
    new_holder = next_lease(key, late, now, LEASE)
    assert new_holder is not None and await store.take_leases([new_holder])

    await store.release_leases([late.release(now)])

    latest = (await store.current_leases([key]))[key]
    assert (latest.generation, latest.released) == (2, False)
    assert next_lease(key, latest, now, LEASE) is None


async def test_leases_given_back_together_are_free_again_and_say_when_there_is_work(
    store: NotifyStore,
) -> None:
    now = now_kst()
    later = (now + timedelta(minutes=5)).replace(microsecond=0)
    leases = [Lease(str(uuid.uuid4()), 1, now + LEASE) for _ in range(20)]
    assert len(await store.take_leases(leases)) == 20

    await store.release_leases([lease.release(now, later) for lease in leases])

    latest = await store.current_leases([lease.key for lease in leases])
    assert {(lease.generation, lease.released, lease.due_at) for lease in latest.values()} == {
        (2, True, later)
    }
    again = [next_lease(key, lease, now, LEASE) for key, lease in latest.items()]
    assert {lease.generation for lease in again if lease is not None} == {3}


# -- contacts --------------------------------------------------------------------------------
def version(applicant_id: str, minutes: int, phone: str) -> ContactVersion:
    return ContactVersion(
        applicant_id=applicant_id,
        name="홍길동",
        phone=phone,
        email=None,
        consents=Consents(sms=True, email=False),
        as_of=now_kst().replace(microsecond=0) + timedelta(minutes=minutes),
        application_id=f"A-{minutes:03d}",
    )


async def test_the_latest_application_gives_the_contact_whatever_order_they_are_stored_in(
    store: NotifyStore,
) -> None:
    people = [f"P-{uuid.uuid4().hex[:8]}" for _ in range(5)]
    versions = [
        version(person, minutes, f"010{index:04d}{minutes:04d}")
        for index, person in enumerate(people)
        for minutes in range(10)
    ]
    random.Random(7).shuffle(versions)

    # Concurrently, in small batches, and some twice (a redelivery).
    await asyncio.gather(
        *(store.add_contact_versions(versions[i : i + 7]) for i in range(0, len(versions), 7)),
        store.add_contact_versions(versions[:10]),
    )

    latest = {person: f"010{index:04d}{9:04d}" for index, person in enumerate(people)}
    known = await store.contacts_of(people)
    assert {person: known[person].latest.phone for person in people} == latest
    restarted = NotifyStore(store._db)  # remembers nothing: reads the database
    known = await restarted.contacts_of(people)
    assert {person: known[person].latest.phone for person in people} == latest


async def test_a_remembered_contact_counts_until_its_memory_is_older_than_the_setting(
    store: NotifyStore,
) -> None:
    """Another notify instance's newer version of a citizen this one remembers (a second
    application, handled there) is seen once the memory is older than
    `contact_memory_seconds`; a citizen never met is read from the database at once."""
    person, stranger = (f"P-{uuid.uuid4().hex[:8]}" for _ in range(2))
    forgetful = NotifyStore(store._db, contact_memory_seconds=0.5)
    await forgetful.add_contact_versions([version(person, 0, "01011110000")])
    elsewhere = NotifyStore(store._db)
    await elsewhere.add_contact_versions(
        [version(person, 1, "01022220000"), version(stranger, 0, "01033330000")]
    )

    remembered = await forgetful.contacts_of([person, stranger])
    assert remembered[person].latest.phone == "01011110000"
    assert remembered[stranger].latest.phone == "01033330000"
    await asyncio.sleep(0.6)
    assert (await forgetful.contacts_of([person]))[person].latest.phone == "01022220000"


async def test_two_numbers_refused_at_once_are_both_remembered(store: NotifyStore) -> None:
    person = f"P-{uuid.uuid4().hex[:8]}"
    await store.add_contact_versions([version(person, 0, "01011112222")])

    await asyncio.gather(
        store.mark_undeliverable([(person, "01011112222")], now_kst()),
        store.mark_undeliverable([(person, "01033334444")], now_kst()),
        store.mark_undeliverable([(person, "01011112222")], now_kst()),
    )

    contact = (await store.contacts_of([person]))[person]
    assert contact.undeliverable_phones == {"01011112222", "01033334444"}
    assert contact.recipient.phone is None


# -- the outbox ------------------------------------------------------------------------------
def planned(event: str, channel: Channel) -> Planned:
    recipient = Recipient(
        "P-7F3A21", "홍길동", "01012345678", "hong@example.com", Consents(sms=True, email=True)
    )
    now = now_kst()
    notification = Notification.plan(
        source_event_id=event,
        source_event_type="recruitment.application.submitted",
        recipient=recipient,
        channel=channel,
        template=template("application_received"),
        now=now,
        quiet_hours=QuietHours(start=now.time(), end=now.time()),
    )
    message = SmsText("SMS", "접수", None) if channel == "sms" else EmailText("a", "b", "c")
    return Planned(notification, message, None, now, "A-1", now)


async def test_planning_the_same_notifications_twice_at_once_queues_each_once(
    store: NotifyStore,
) -> None:
    events = [str(uuid.uuid4()) for _ in range(SEGMENT_SIZE + 30)]
    batch = [planned(event, channel) for event in events for channel in ("sms", "email")]

    first, second = await asyncio.gather(
        store.add_planned(batch, now_kst()), store.add_planned(batch[::-1], now_kst())
    )

    assert all(a != b for a, b in zip(first, second[::-1], strict=True))
    assert await store.backlog() == len(batch)
    segments = [
        *await store.due_segments("sms", now_kst()),
        *await store.due_segments("email", now_kst()),
    ]
    owned = [p for s in segments for p in (await store.segment(s.segment_id)).owned]
    assert sorted(p.notification_id for p in owned) == sorted(p.notification_id for p in batch)
    assert all(s.size <= SEGMENT_SIZE for s in segments)


async def test_a_segment_shows_each_notification_in_its_latest_revision(
    store: NotifyStore,
) -> None:
    sms = planned(str(uuid.uuid4()), "sms")
    await store.add_planned([sms], now_kst())
    (segment,) = await store.due_segments("sms", now_kst())
    notification = sms.notification
    now = now_kst()
    notification.attempts, notification.last_error = 1, "HTTP 503"
    first = Revision.of(notification, 1)
    notification.attempts, notification.status, notification.finished_at = 2, Status.SENT, now
    second = Revision.of(notification, 2)

    await store.add_revisions({segment.segment_id: [second]})
    await store.add_revisions({segment.segment_id: [first, second]})
    await store.record_taken(segment.segment_id, sms.notification_id, now)

    state = await store.segment(segment.segment_id)
    assert [p.notification.status for p in state.owned] == [Status.SENT]
    assert state.revision == {sms.notification_id: 2}
    assert set(state.taken) == {sms.notification_id}
    assert state.pending == []


async def test_a_segment_whose_planning_stopped_halfway_is_listed_later_and_only_once(
    store: NotifyStore,
) -> None:
    sms = [planned(str(uuid.uuid4()), "sms") for _ in range(3)]
    await store.add_planned(sms, now_kst())
    (segment,) = await store.due_segments("sms", now_kst())
    # As if the planner had stopped before listing it.
    await store._outbox.delete_one({"_id": segment.segment_id})

    assert await store.recover_segments(now_kst() - timedelta(minutes=1)) == 0  # too young
    assert await store.recover_segments(now_kst() + timedelta(seconds=1)) == 1
    assert await store.recover_segments(now_kst() + timedelta(seconds=1)) == 0

    (listed,) = await store.due_segments("sms", now_kst())
    assert listed == segment
    await store.complete(segment.segment_id)
    assert await store.backlog() == 0
    assert await store.due_segments("sms", now_kst()) == []


async def test_a_patient_lookup_finds_a_contact_learned_meanwhile_without_reading_them_all(
    stack: Stack,
) -> None:
    """The screening result of an application whose receipt is being planned by the other
    consumer at the same moment: waited for in memory, not read from every stored contact."""
    finds = Finds()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        stack.mongodb_uri, tz_aware=True, event_listeners=[finds]
    )
    try:
        store = NotifyStore(client[f"test_notify_store_{uuid.uuid4().hex[:10]}"])
        person = f"P-{uuid.uuid4().hex[:8]}"

        async def application_comes() -> None:
            await asyncio.sleep(0.3)
            await store.add_contact_versions([version(person, 0, "01055550000")])

        known, _ = await asyncio.gather(
            store.contacts_of([person], patience=5.0), application_comes()
        )
        assert known[person].latest.phone == "01055550000"
        assert "contact_versions" not in finds.of
        impatient = await NotifyStore(store._db).contacts_of([f"{person}-x"], patience=0.0)
        assert impatient == {} and "contact_versions" in finds.of
    finally:
        await client.close()


async def test_a_patient_lookup_waits_while_contacts_keep_coming_and_no_longer(
    watched: Watched,
) -> None:
    """In a burst, the applications whose contacts the screening results need are planned at
    the providers' pace: the lookup waits for as long as they keep coming, longer than its
    patience in all, and reads only once `patience` passed without one."""
    store = NotifyStore(watched.db)
    people = [f"P-{uuid.uuid4().hex[:8]}" for _ in range(4)]

    async def applications_come() -> None:
        for n, person in enumerate(people):
            await asyncio.sleep(0.6)
            await store.add_contact_versions([version(person, 0, f"0105555{n:04d}")])

    began = time.monotonic()
    known, _ = await asyncio.gather(store.contacts_of(people, patience=1.0), applications_come())
    assert set(known) == set(people)
    assert time.monotonic() - began > 2.0  # past its patience: news kept it waiting
    assert "contact_versions" not in watched.sent.of

    began = time.monotonic()
    assert await store.contacts_of([*people, "P-never"], patience=1.0) == known
    assert 1.0 <= time.monotonic() - began < 5.0
    assert "contact_versions" in watched.sent.of


async def test_outcomes_settled_together_cost_one_row_and_each_citizen_sees_only_their_own(
    store: NotifyStore,
) -> None:
    """A settled batch's outcomes are one document (a row is what an insert costs FerretDB);
    each citizen's history still shows each of their notifications in its final state, and a
    batch settled twice (a crash between saving and reporting) counts once."""
    mine = [planned(str(uuid.uuid4()), channel) for channel in ("sms", "email")]
    theirs = planned(str(uuid.uuid4()), "sms")
    theirs.notification.applicant_id = "P-OTHER"  # another citizen
    await store.add_planned([*mine, theirs], now_kst())
    now = now_kst()
    for p in (*mine, theirs):
        p.notification.status, p.notification.attempts, p.notification.finished_at = (
            Status.SENT,
            1,
            now,
        )
    mine[1].notification.status, mine[1].notification.last_error = Status.FAILED, "SMTP 550"
    settled = [p.notification for p in (*mine, theirs)]

    await store.record_outcomes(settled)
    await store.record_outcomes(settled)  # settled again after a crash

    assert await store._outcomes.count_documents({}) == 2
    history = {entry.notification_id: entry for entry in await store.history_of("P-7F3A21")}
    assert {id_: (e.status, e.last_error) for id_, e in history.items()} == {
        mine[0].notification_id: (Status.SENT, None),
        mine[1].notification_id: (Status.FAILED, "SMTP 550"),
    }
    assert [e.notification_id for e in await store.history_of("P-OTHER")] == [
        theirs.notification_id
    ]
    counts = await store.count_by_status()
    assert (counts["sent"], counts["failed"]) == (2, 1)


async def test_messages_taken_together_are_one_log_entry_and_each_is_known_as_taken(
    store: NotifyStore,
) -> None:
    sms = [planned(str(uuid.uuid4()), "sms") for _ in range(20)]
    await store.add_planned(sms, now_kst())
    (segment,) = await store.due_segments("sms", now_kst())

    await asyncio.gather(
        *(store.record_taken(segment.segment_id, p.notification_id, now_kst()) for p in sms)
    )

    state = await store.segment(segment.segment_id)
    assert set(state.taken) == {p.notification_id for p in sms}
    log = await store._work(segment.segment_id).count_documents({"log": "taken"})
    assert log < len(sms)  # gathered while the first write ran: at most two writes


async def test_a_notifications_record_keeps_neither_its_text_nor_the_address(
    store: NotifyStore,
) -> None:
    """Data minimisation: what a message says names the citizen, and the address is theirs;
    both stay in the outbox's working copy only, which goes once the message is delivered."""
    sms, email = planned(str(uuid.uuid4()), "sms"), planned(str(uuid.uuid4()), "email")
    await store.add_planned([sms, email], now_kst())

    records = await store._notifications.find({}).to_list()
    assert {doc["_id"] for doc in records} == {sms.notification_id, email.notification_id}
    for doc in records:
        assert not {"recipient", "subject", "text", "html", "fallback_email"} & set(doc)
        assert doc["recipient_masked"] and doc["template"] == "application_received"
    (segment,) = await store.due_segments("sms", now_kst())
    (copy,) = (await store.segment(segment.segment_id)).owned
    assert copy.notification.recipient == "01012345678"
    assert copy.message == SmsText("SMS", "접수", None)


async def test_what_the_store_knows_it_stored_is_not_sent_again(watched: Watched) -> None:
    """A redelivered application's contact and a re-planned notification would be refused by
    the database, and one refusal makes FerretDB insert the whole batch one document at a
    time: the store answers them from what it wrote, and sends only what is new."""
    store = NotifyStore(watched.db)
    await store.create_indexes()
    first = [version(f"P-{n}", 0, f"0101234{n:04d}") for n in range(3)]
    await store.add_contact_versions(first)
    sms = [planned(str(uuid.uuid4()), "sms") for _ in range(3)]
    assert await store.add_planned(sms, now_kst()) == [True, True, True]
    watched.sent.inserts.clear()

    newer = version("P-9", 1, "01099990000")
    await store.add_contact_versions([*first, newer])
    again = planned(str(uuid.uuid4()), "sms")
    assert await store.add_planned([*sms, again], now_kst()) == [False, False, False, True]

    stored = f"{newer.applicant_id}|{newer.application_id}"
    assert watched.sent.inserted_into("contact_versions") == [stored]
    assert watched.sent.inserted_into("notifications") == [again.notification_id]
    assert await store.backlog() == 4
