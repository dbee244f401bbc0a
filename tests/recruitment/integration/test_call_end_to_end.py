"""One recruitment call from the first application to the published decisions, on the real
broker and database.

About 500 applications reach one call through Kafka (partner systems) and HTTP (the citizen
web) mixed: the same event delivered twice, an application re-sent under a new event id, a web
form posted twice, messages that are not valid events (dead-lettered) or not valid requests
(422), applicants who fail the call's rules and people who apply a second time (refused). The
call closes, selection runs and is published, and the decision events on Kafka match the stored
decisions one to one; the selection run replays identically. A second test walks the refusals
of the call's lifecycle over HTTP and Kafka.
"""

import asyncio
import json
import math
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

import httpx
import pytest

from services.recruitment.app import RecruitmentSettings
from services.recruitment.app import create_app as create_recruitment
from shared.clock import now_kst
from shared.topics import Topic, dead_letter_topic
from tests.conftest import Stack, as_citizen, collect, publish, publish_many, running
from tests.e2e.applicants import applicant, open_call, submitted_event

pytestmark = pytest.mark.integration

SUBMITTED = Topic.APPLICATION_SUBMITTED.value
DECISION_TOPICS = [
    Topic.APPLICATION_SELECTED.value,
    Topic.APPLICATION_WAITLISTED.value,
    Topic.APPLICATION_REJECTED.value,
]
QUOTA = 40
WAITLIST = 60
MAX_AGE = 64
HEAD_POINTS = 5.0
AGE_BAND_POINTS = 3.0  # 만 20–39세
PRIORITY_INCOME = {"basic_livelihood", "near_poor"}  # the grounds of open_call()'s track
FIRST_APPLICATIONS = 460
DELIVERED_TWICE = 15  # the same Kafka event, twice
RESENT = 15  # the same application_id again, under a new event id
POSTED_TWICE = 10  # the same web form (same application_id), twice
SECOND_APPLICATIONS = 20  # people applying to the call again, under a new application_id
HTTP_CONCURRENCY = 20


@pytest.fixture(scope="module")
async def recruitment(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    app = create_recruitment(
        RecruitmentSettings(**stack.service_env("recruitment"), seed_catalog=True)
    )
    async with running(app) as client:
        yield client


@dataclass(frozen=True)
class Sent:
    """One application as the test sent it, and what the call's rules must make of it."""

    application_id: str
    person: dict[str, Any]
    channel: Literal["kafka", "http"]
    failed_rules: frozenset[str]  # the codes it must fail; none: eligible
    points: float  # its score, if eligible

    @property
    def eligible(self) -> bool:
        return not self.failed_rules

    @property
    def priority(self) -> bool:
        return self.person["income_category"] in PRIORITY_INCOME

    def web_form(self, call_id: str) -> dict[str, Any]:
        return {"application_id": self.application_id, "call_id": call_id, "applicant": self.person}


def busy_call(call_id: str) -> dict[str, Any]:
    """open_call() with an age ceiling, a waitlist and points that ignore income, so that the
    priority track (basic livelihood, near-poor: 30% of the quota) reaches down the ranking."""
    call = open_call(call_id, quota=QUOTA) | {"waitlist_size": WAITLIST}
    call["eligibility"][0]["max"] = MAX_AGE
    call["scoring"] = [
        {"kind": "household_head", "points": HEAD_POINTS, "single_person_counts": True},
        {"kind": "age_band", "min": 20, "max": 39, "points": AGE_BAND_POINTS},
    ]
    return call


def born(age: int, on: date, days_after_birthday: int) -> str:
    """A birth date that makes someone `age` years old on `on`."""
    try:
        birthday = on.replace(year=on.year - age)
    except ValueError:  # 29 February
        birthday = on.replace(year=on.year - age, day=28)
    return (birthday - timedelta(days=days_after_birthday)).isoformat()


def first_application(tag: str, i: int, start: date) -> Sent:
    """Applicant i: about a third fail one rule or two, about a quarter are priority."""
    failed: set[str] = set()
    changes: dict[str, Any] = {}
    age = 18 + (i * 7) % (MAX_AGE - 17)
    if i % 20 == 9:
        age = 17
        failed.add("age.below_minimum")
    if i % 20 == 19:
        age = MAX_AGE + 2
        failed.add("age.above_maximum")
    if i % 10 == 3:
        changes["address"] = {"sido": "경기도", "sigungu": "군포시"}
        failed.add("residency.outside_sido")
    if i % 10 == 7 or i % 50 == 13:
        changes["employment_status"] = "employed"
        failed.add("employment_status.not_allowed")
    if i % 25 == 11:
        benefit_from = now_kst().date() - timedelta(days=60)
        changes["unemployment_benefit"] = {
            "start": benefit_from.isoformat(),
            "end": (start + timedelta(days=10)).isoformat(),
        }
        failed.add("unemployment_benefit.receiving_on_start_date")
    head = i % 4 != 0  # 1: head, 2: single-person household, 3: both; 0: neither
    person = applicant(
        birth_date=born(age, start, i % 300),
        household={"is_head": i % 4 in (1, 3), "single_person": i % 4 in (2, 3)},
        income_category={5: "basic_livelihood", 1: "near_poor"}.get(i % 7, "general"),
        **changes,
    )
    points = (HEAD_POINTS if head else 0.0) + (AGE_BAND_POINTS if 20 <= age <= 39 else 0.0)
    channel: Literal["kafka", "http"] = "http" if i % 3 == 2 else "kafka"
    return Sent(f"{tag}-{i:03d}", person, channel, frozenset(failed), points)


def invalid_messages(tag: str, call_id: str) -> list[tuple[str, bytes, str]]:
    """(key, bytes, the dead-letter reason they must get): none of them is an application."""

    def event(key: str, **changes: Any) -> bytes:
        return submitted_event(call_id, applicant(**changes), application_id=key)[1]

    def without_birth_date(key: str) -> bytes:
        data = json.loads(event(key))
        del data["data"]["applicant"]["birth_date"]
        return json.dumps(data, ensure_ascii=False).encode()

    def on_the_wrong_topic(key: str) -> bytes:
        data = json.loads(event(key))
        data["event_type"] = Topic.EMPLOYMENT_REPORTED.value
        return json.dumps(data, ensure_ascii=False).encode()

    makers: list[tuple[str, Callable[[str], bytes]]] = [
        *[("not_json", lambda key: b"\xff\xfe not even utf-8")] * 2,
        *[("not_json", lambda key: b'{"event_id": ')] * 2,
        *[("schema_invalid", lambda key: event(key, phone="not-a-phone"))] * 4,
        *[("schema_invalid", lambda key: event(key, favourite_colour="blue"))] * 3,
        ("schema_invalid", without_birth_date),
        *[("forbidden_data", lambda key: event(key, name="850302-1234567"))] * 3,
        *[("wrong_topic", on_the_wrong_topic)] * 2,
    ]
    keys = [f"{tag}-dlq-{n}" for n in range(len(makers))]
    return [(key, make(key), reason) for key, (reason, make) in zip(keys, makers, strict=True)]


def envelope(record: Any) -> dict[str, Any]:
    try:
        decoded: dict[str, Any] = json.loads(record.value)
    except ValueError:
        return {}
    return decoded


def of_call(call_id: str) -> Callable[[Any], bool]:
    return lambda record: envelope(record).get("data", {}).get("call_id") == call_id


def applying(body: dict[str, Any]) -> dict[str, str]:
    """The token of the citizen a web form is from."""
    return as_citizen(body["applicant"]["applicant_id"])


async def post_all(
    client: httpx.AsyncClient, bodies: list[dict[str, Any]], status_code: int = 202
) -> list[httpx.Response]:
    answers: list[httpx.Response] = []
    for start in range(0, len(bodies), HTTP_CONCURRENCY):
        chunk = bodies[start : start + HTTP_CONCURRENCY]
        answers += await asyncio.gather(
            *(client.post("/applications", json=b, headers=applying(b)) for b in chunk)
        )
    assert [a.status_code for a in answers] == [status_code] * len(bodies), answers[0].text
    return answers


async def test_500_mixed_applications_end_in_published_decisions_that_match_the_stored_ones(
    stack: Stack, recruitment: httpx.AsyncClient
) -> None:
    tag = uuid.uuid4().hex[:8]
    call_id = f"call-{tag}"
    call = busy_call(call_id)
    assert (await recruitment.post("/calls", json=call)).status_code == 201
    assert (await recruitment.post(f"/calls/{call_id}/open")).status_code == 200
    start = date.fromisoformat(call["start_date"])
    first = [first_application(tag, i, start) for i in range(FIRST_APPLICATIONS)]
    sent = {s.application_id: s for s in first}
    kafka = [s for s in first if s.channel == "kafka"]
    web = [s for s in first if s.channel == "http"]

    # Partners: every application, some twice or re-sent, invalid messages in between.
    dead = invalid_messages(tag, call_id)
    messages: list[tuple[str, bytes]] = []
    for n, s in enumerate(kafka):
        _, event = submitted_event(call_id, s.person, application_id=s.application_id)
        messages.append((s.application_id, event))
        if n < DELIVERED_TWICE:
            messages.append((s.application_id, event))
        elif n < DELIVERED_TWICE + RESENT:
            _, again = submitted_event(call_id, s.person, application_id=s.application_id)
            messages.append((s.application_id, again))
        if n % 10 == 5 and n // 10 < len(dead):
            key, value, _ = dead[n // 10]
            messages.append((key, value))
    assert len(dead) <= len(kafka) // 10
    # Citizens: every web application, some forms posted twice, some not valid at all.
    bad_forms = [
        {"application_id": f"{tag}-bad-form-{n}", "call_id": call_id, "applicant": person}
        for n, person in enumerate(applicant(phone="12") for _ in range(5))
    ]
    _, _, refused_forms = await asyncio.gather(
        publish_many(stack.bootstrap_servers, SUBMITTED, messages),
        post_all(recruitment, [s.web_form(call_id) for s in web]),
        post_all(recruitment, bad_forms, status_code=422),
    )
    assert all("applicant.phone" in a.text for a in refused_forms)
    await post_all(recruitment, [s.web_form(call_id) for s in web[:POSTED_TWICE]])

    # Every application is answered; a re-sent one again, under the same event id.
    screened = await collect(
        stack.bootstrap_servers,
        [Topic.APPLICATION_SCREENED.value],
        of_call(call_id),
        expected=FIRST_APPLICATIONS + RESENT,
        within=240,
    )
    answers = [envelope(r) for r in screened]
    assert Counter(a["data"]["application_id"] for a in answers) == Counter(
        {s.application_id: 1 for s in first}
        | {s.application_id: 2 for s in kafka[DELIVERED_TWICE : DELIVERED_TWICE + RESENT]}
    )
    event_ids: dict[str, set[str]] = {}
    for answer in answers:
        event_ids.setdefault(answer["data"]["application_id"], set()).add(answer["event_id"])
    assert all(len(ids) == 1 for ids in event_ids.values())  # downstream sees one
    for answer in answers:
        data, expected = answer["data"], sent[answer["data"]["application_id"]]
        assert data["eligible"] is expected.eligible, data
        assert {r["code"] for r in data["failed_rules"]} == expected.failed_rules, data
        assert data["score"] == (expected.points if expected.eligible else None), data

    # Invalid messages went to the dead-letter topic, with their reason, and nowhere else.
    dead_lettered = await collect(
        stack.bootstrap_servers,
        [dead_letter_topic(SUBMITTED)],
        lambda r: r.key is not None and r.key.startswith(tag.encode()),
        expected=len(dead),
    )
    reasons = {r.key.decode(): dict(r.headers)["dlq.reason"].decode() for r in dead_lettered}
    assert len(dead_lettered) == len(dead)
    assert reasons == {key: reason for key, _, reason in dead}
    assert all(b"850302-1234567" not in r.value for r in dead_lettered)

    # People who apply again are refused, naming their first application, whatever channel.
    applying_again = first[:: FIRST_APPLICATIONS // SECOND_APPLICATIONS]
    assert len(applying_again) == SECOND_APPLICATIONS
    second_of = {f"{tag}-second-{n}": s for n, s in enumerate(applying_again)}
    await asyncio.gather(
        publish_many(
            stack.bootstrap_servers,
            SUBMITTED,
            [
                (a, submitted_event(call_id, s.person, application_id=a)[1])
                for a, s in second_of.items()
                if s.channel == "http"
            ],
        ),
        post_all(
            recruitment,
            [
                {"application_id": a, "call_id": call_id, "applicant": s.person}
                for a, s in second_of.items()
                if s.channel == "kafka"
            ],
        ),
    )
    refusals = await collect(
        stack.bootstrap_servers,
        [Topic.APPLICATION_SCREENED.value],
        lambda r: r.key is not None and r.key.decode() in second_of,
        expected=SECOND_APPLICATIONS,
    )
    assert len(refusals) == SECOND_APPLICATIONS
    for refusal in refusals:
        data = envelope(refusal)["data"]
        assert data["eligible"] is False
        [rule] = data["failed_rules"]
        assert rule["code"] == "application.duplicate"
        assert second_of[data["application_id"]].application_id in rule["message"]
    detail = (await recruitment.get(f"/calls/{call_id}")).json()
    assert detail["applications"] == {"received": FIRST_APPLICATIONS, "refused": len(second_of)}
    for unknown in (dead[0][0], bad_forms[0]["application_id"]):
        assert (await recruitment.get(f"/applications/{unknown}")).status_code == 404

    # Close, select, publish.
    closed = await recruitment.post(f"/calls/{call_id}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    ran = await recruitment.post(f"/calls/{call_id}/selection", json={})
    assert ran.status_code == 201, ran.text
    run = ran.json()
    ranking = (await recruitment.get(f"/calls/{call_id}/ranking")).json()
    assert ranking["run_id"] == run["run_id"]
    decisions: list[dict[str, Any]] = ranking["decisions"]
    published = await recruitment.post(f"/calls/{call_id}/publish")
    assert published.json() == {"call_id": call_id, "published": len(decisions)}

    # The stored decisions: one per application that was not refused, none for anyone else.
    assert sorted(d["application_id"] for d in decisions) == sorted(sent)
    assert len({d["applicant_id"] for d in decisions}) == len(decisions)
    eligible = [d for d in decisions if sent[d["application_id"]].eligible]
    by_decision = Counter(d["decision"] for d in decisions)
    priority_seats = math.floor(Decimal(call["priority_track"]["share"]) * QUOTA)
    assert run["priority_seats"] == priority_seats
    assert run["counts"] == dict(by_decision)
    assert by_decision["selected"] == min(QUOTA, len(eligible)) == QUOTA
    assert by_decision["waitlisted"] == min(WAITLIST, len(eligible) - QUOTA) == WAITLIST
    assert_seated_in_rank_order(eligible, sent, priority_seats)
    for d in decisions:
        if not sent[d["application_id"]].eligible:
            assert d["decision"] == "rejected" and d["rank"] is None and d["track"] is None
            assert {r["code"] for r in d["reasons"]} == sent[d["application_id"]].failed_rules

    # The events: exactly one per stored decision, saying the same.
    records = await collect(
        stack.bootstrap_servers, DECISION_TOPICS, of_call(call_id), expected=len(decisions)
    )
    assert len(records) == len(decisions)
    events: dict[str, dict[str, Any]] = {}
    for record in records:
        decided = envelope(record)
        application_id = decided["data"]["application_id"]
        assert application_id not in events, f"{application_id} decided twice"
        assert record.key == application_id.encode()
        assert (
            record.topic
            == decided["event_type"]
            == f"recruitment.application.{decided['data']['decision']}"
        )
        events[application_id] = decided
    assert len({e["event_id"] for e in events.values()}) == len(events)
    fields = ["applicant_id", "decision", "rank", "score", "track", "waitlist_position", "reasons"]
    for d in decisions:
        data = events[d["application_id"]]["data"]
        assert {f: data[f] for f in fields} == {f: d[f] for f in fields}
        assert data["selection_run_id"] == run["run_id"]

    # Applicants see the published decision; an audit replays the run to the same result.
    for status in ("selected", "waitlisted", "rejected"):
        d = next(d for d in decisions if d["decision"] == status)
        seen = (await recruitment.get(f"/applications/{d['application_id']}")).json()
        assert (seen["status"], seen["rank"], seen["waitlist_position"]) == (
            status,
            d["rank"],
            d["waitlist_position"],
        )
    replay = await recruitment.get(f"/calls/{call_id}/selection-runs/{run['run_id']}/replay")
    assert replay.json() == {"run_id": run["run_id"], "seed": None, "identical": True}
    [audited] = (await recruitment.get(f"/calls/{call_id}/selection-runs")).json()
    assert audited["run_id"] == run["run_id"] and audited["published_at"] is not None
    assert audited["counted"] is True


def assert_seated_in_rank_order(
    eligible: list[dict[str, Any]], sent: dict[str, Sent], priority_seats: int
) -> None:
    """Ranks 1..n follow the score; the priority seats go to the best-ranked priority
    applicants, the other seats and then the waitlist to the best-ranked of the rest."""
    order = sorted(eligible, key=lambda d: d["rank"])
    assert [d["rank"] for d in order] == list(range(1, len(order) + 1))
    assert [d["score"] for d in order] == sorted((d["score"] for d in order), reverse=True)
    priority = [d for d in order if sent[d["application_id"]].priority][:priority_seats]
    assert len(priority) == priority_seats  # enough priority applicants to fill the track
    assert [d for d in order if d["track"] == "priority"] == priority
    assert all(d["decision"] == "selected" for d in priority)
    rest = [d for d in order if d not in priority]
    general = rest[: QUOTA - priority_seats]
    assert [d for d in order if d["track"] == "general"] == general
    assert all(d["decision"] == "selected" for d in general)
    waiting = rest[len(general) : len(general) + WAITLIST]
    assert [(d["decision"], d["waitlist_position"]) for d in waiting] == [
        ("waitlisted", n) for n in range(1, WAITLIST + 1)
    ]
    for d in rest[len(general) + WAITLIST :]:
        assert d["decision"] == "rejected" and d["track"] is None
        assert [r["code"] for r in d["reasons"]] == ["selection.not_selected"]


async def test_a_call_refuses_what_its_lifecycle_does_not_allow_yet_or_any_more(
    stack: Stack, recruitment: httpx.AsyncClient
) -> None:
    tag = uuid.uuid4().hex[:8]
    call_id = f"call-{tag}"
    person = applicant()
    form: dict[str, Any] = {
        "application_id": f"{tag}-on-time",
        "call_id": call_id,
        "applicant": person,
    }

    async def status_of(path: str, method: str = "post") -> int:
        return (await recruitment.request(method, path)).status_code

    async def kafka_answer(application_id: str, to_call: str) -> dict[str, Any]:
        _, event = submitted_event(to_call, applicant(), application_id=application_id)
        await publish(stack.bootstrap_servers, SUBMITTED, event, key=application_id)
        [answer] = await collect(
            stack.bootstrap_servers,
            [Topic.APPLICATION_SCREENED.value],
            lambda r: r.key == application_id.encode(),
            expected=1,
            settle=0.5,
        )
        data: dict[str, Any] = envelope(answer)["data"]
        assert data["eligible"] is False
        return data

    # A draft takes no applications and cannot be selected or published.
    assert (await recruitment.post("/calls", json=open_call(call_id))).status_code == 201
    assert (
        await recruitment.post("/applications", json=form, headers=applying(form))
    ).status_code == 409
    draft = await kafka_answer(f"{tag}-too-early", call_id)
    assert [r["code"] for r in draft["failed_rules"]] == ["call.not_open"]
    assert (await recruitment.post(f"/calls/{call_id}/selection", json={})).status_code == 409
    assert await status_of(f"/calls/{call_id}/ranking", "get") == 409
    assert await status_of(f"/calls/{call_id}/publish") == 409
    assert await status_of(f"/calls/{call_id}/close") == 409

    # Open: one application on time; then closed, the web refuses a late one.
    assert await status_of(f"/calls/{call_id}/open") == 200
    assert await status_of(f"/calls/{call_id}/open") == 409
    assert (
        await recruitment.post("/applications", json=form, headers=applying(form))
    ).status_code == 202
    await collect(
        stack.bootstrap_servers,
        [Topic.APPLICATION_SCREENED.value],
        lambda r: r.key == form["application_id"].encode(),
        expected=1,
        settle=0,
    )
    assert await status_of(f"/calls/{call_id}/close") == 200
    late = {**form, "application_id": f"{tag}-late", "applicant": applicant()}
    answer = await recruitment.post("/applications", json=late, headers=applying(late))
    assert answer.status_code == 409
    assert answer.json()["detail"] == [
        {"field": "call_id", "problem": "this call is not taking applications now"}
    ]
    assert await status_of(f"/calls/{call_id}/open") == 409
    # Closed a day before its window ends: a partner's application made after the close is
    # late too, though still inside the announced window.
    after_close = await kafka_answer(f"{tag}-after-early-close", call_id)
    assert [r["code"] for r in after_close["failed_rules"]] == ["application_window.closed"]
    assert "조기 마감" in after_close["failed_rules"][0]["message"]

    # Selected: nothing more is considered, from any channel; published once.
    # Two operators press "select" at once: one run counts, the other is refused.
    both = await asyncio.gather(
        *(recruitment.post(f"/calls/{call_id}/selection", json={}) for _ in range(2))
    )
    assert sorted(answer.status_code for answer in both) == [201, 409]
    [won] = [answer.json()["run_id"] for answer in both if answer.status_code == 201]
    runs = (await recruitment.get(f"/calls/{call_id}/selection-runs")).json()
    assert [run["run_id"] for run in runs if run["counted"]] == [won]
    assert (await recruitment.post(f"/calls/{call_id}/selection", json={})).status_code == 409
    after = await kafka_answer(f"{tag}-after-selection", call_id)
    assert [r["code"] for r in after["failed_rules"]] == ["call.closed"]
    assert (await recruitment.post(f"/calls/{call_id}/publish")).json()["published"] == 2
    assert await status_of(f"/calls/{call_id}/publish") == 409
    ranking = (await recruitment.get(f"/calls/{call_id}/ranking")).json()
    decided = {d["application_id"]: d["decision"] for d in ranking["decisions"]}
    assert decided == {form["application_id"]: "selected", f"{tag}-after-early-close": "rejected"}
    detail = (await recruitment.get(f"/calls/{call_id}")).json()
    assert detail["call"]["status"] == "published"
    assert detail["applications"] == {"received": 2, "refused": 2}

    # A call that does not exist: 404 on the web (tested in e2e), a refusal over Kafka.
    unknown = await kafka_answer(f"{tag}-nowhere", f"no-such-call-{tag}")
    assert [r["code"] for r in unknown["failed_rules"]] == ["call.unknown"]
    assert await status_of(f"/calls/no-such-call-{tag}/close") == 404
