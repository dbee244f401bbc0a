"""One slice end to end, on the real broker, database, SMTP sink and SMS gateway:
an application (from a partner over Kafka, or a citizen over HTTP) is screened by recruitment
and the citizen is told by notify, in Korean, by SMS and e-mail, once."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.notify.app import NotifySettings
from services.notify.app import create_app as create_notify
from services.recruitment.app import RecruitmentSettings
from services.recruitment.app import create_app as create_recruitment
from shared.topics import Topic, dead_letter_topic
from tests.conftest import (
    Stack,
    as_citizen,
    collect,
    daytime_clock,
    publish,
    running,
    wait_for,
)
from tests.e2e.applicants import applicant, open_call, submitted_event

pytestmark = pytest.mark.integration


@pytest.fixture
async def services(stack: Stack) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    recruitment = create_recruitment(
        RecruitmentSettings(**stack.service_env("recruitment"), seed_catalog=True)
    )
    notify = create_notify(NotifySettings(**stack.notify_env()), clock=daytime_clock())
    async with running(recruitment) as rec, running(notify) as note:
        yield rec, note


async def new_open_call(recruitment: httpx.AsyncClient) -> str:
    call_id = f"call-{uuid.uuid4().hex[:8]}"
    assert (await recruitment.post("/calls", json=open_call(call_id))).status_code == 201
    assert (await recruitment.post(f"/calls/{call_id}/open")).status_code == 200
    return call_id


def sms_to(stack: Stack, person: dict[str, Any]) -> list[dict[str, Any]]:
    digits = person["phone"].replace("-", "")
    return [m for m in stack.sms.messages() if m["to"] == digits]


def mail_to(stack: Stack, person: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in stack.smtp.messages() if person["email"] in json.dumps(m["to"])]


async def screened_events(stack: Stack, application_id: str, expected: int = 1) -> list[Any]:
    return await collect(
        stack.bootstrap_servers,
        [Topic.APPLICATION_SCREENED.value],
        lambda r: r.key == application_id.encode(),
        expected=expected,
    )


async def test_a_partner_application_is_screened_and_the_citizen_gets_one_sms_and_one_email(
    stack: Stack, services: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    recruitment, notify = services
    call_id = await new_open_call(recruitment)
    person = applicant()
    application_id, event = submitted_event(call_id, person)

    await publish(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, event, key=application_id)

    screened = await screened_events(stack, application_id)
    assert len(screened) == 1
    data = json.loads(screened[0].value)["data"]
    assert data["eligible"] is True
    assert data["checked_rules"] == [
        "application_window",
        "age",
        "residency",
        "employment_status",
        "unemployment_benefit",
    ]
    # Receipt and screening result, each once per channel.
    sms = await wait_for(
        lambda: len(sms_to(stack, person)) >= 2 and sms_to(stack, person), settle=2.0
    )
    mail = await wait_for(
        lambda: len(mail_to(stack, person)) >= 2 and mail_to(stack, person), settle=2.0
    )
    assert len(sms) == 2 and len(mail) == 2
    texts = sorted(m["text"] for m in sms)
    assert texts[0] == f"[서울시 일자리] 홍길동님, 신청이 접수되었습니다. 접수번호 {application_id}"
    assert texts[1] == (
        "[서울시 일자리] 홍길동님은 2025년 하반기 서울 동행일자리(디지털) 참여자 모집 신청 자격을 "
        "충족하셨습니다. 선정 결과는 별도로 안내해 드리겠습니다."
    )
    assert {m["from"] for m in sms} == {"15889999"}
    subjects = {m["subject"] for m in mail}
    assert (
        "[서울시 일자리] 2025년 하반기 서울 동행일자리(디지털) 참여자 모집 자격 심사 결과 안내"
        in subjects
    )
    history = (await notify.get(f"/citizens/{person['applicant_id']}/notifications")).json()
    statuses = {(n["template"], n["channel"]): n["status"] for n in history["notifications"]}
    assert statuses == {
        ("application_received", "sms"): "sent",
        ("application_received", "email"): "sent",
        ("screening_passed", "sms"): "sent",
        ("screening_passed", "email"): "sent",
    }
    assert all(
        "****" in n["recipient_masked"] for n in history["notifications"] if n["channel"] == "sms"
    )


async def test_an_ineligible_citizen_learns_every_failed_rule_in_korean(
    stack: Stack, services: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    recruitment, _ = services
    call_id = await new_open_call(recruitment)
    person = applicant(
        address={"sido": "경기도", "sigungu": "군포시"}, employment_status="employed"
    )
    application_id, event = submitted_event(call_id, person)
    await publish(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, event, key=application_id)

    screened = json.loads((await screened_events(stack, application_id))[0].value)["data"]
    assert screened["eligible"] is False
    codes = sorted(rule["code"] for rule in screened["failed_rules"])
    assert codes == ["employment_status.not_allowed", "residency.outside_sido"]
    mail = await wait_for(
        lambda: [m for m in mail_to(stack, person) if "자격 심사" in m["subject"]]
    )
    assert len(mail) == 1
    for rule in screened["failed_rules"]:
        assert rule["message"] in mail[0]["text"]  # the citizen reads every reason
    status = (await recruitment.get(f"/applications/{application_id}")).json()
    assert status["status"] == "ineligible"
    assert sorted(r["code"] for r in status["reasons"]) == codes


async def test_the_same_event_delivered_twice_still_yields_one_of_each(
    stack: Stack, services: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    recruitment, _ = services
    call_id = await new_open_call(recruitment)
    person = applicant()
    application_id, event = submitted_event(call_id, person)
    for _ in range(2):
        await publish(
            stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, event, key=application_id
        )

    assert len(await screened_events(stack, application_id)) == 1
    sms = await wait_for(
        lambda: len(sms_to(stack, person)) >= 2 and sms_to(stack, person), settle=3.0
    )
    mail = await wait_for(
        lambda: len(mail_to(stack, person)) >= 2 and mail_to(stack, person), settle=3.0
    )
    assert len(sms) == 2
    assert len(mail) == 2


async def test_a_resent_application_id_with_a_new_event_id_is_one_application_and_one_receipt(
    stack: Stack, services: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    recruitment, _ = services
    call_id = await new_open_call(recruitment)
    person = applicant()
    application_id, first = submitted_event(call_id, person)
    _, again = submitted_event(call_id, person, application_id=application_id)
    for event in (first, again):
        await publish(
            stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, event, key=application_id
        )
    # Both events are answered, with the same derived event id: downstream sees one.
    screened = await screened_events(stack, application_id, expected=2)
    assert len({json.loads(r.value)["event_id"] for r in screened}) == 1
    detail = (await recruitment.get(f"/calls/{call_id}")).json()
    assert detail["applications"] == {"received": 1, "refused": 0}
    # The citizen hears once: one receipt and one screening result, by SMS and by e-mail.
    sms = await wait_for(
        lambda: len(sms_to(stack, person)) >= 2 and sms_to(stack, person), settle=3.0
    )
    mail = await wait_for(
        lambda: len(mail_to(stack, person)) >= 2 and mail_to(stack, person), settle=3.0
    )
    assert len(sms) == 2
    assert len(mail) == 2


async def test_malformed_and_invalid_applications_go_to_the_dlq_and_the_valid_one_is_screened(
    stack: Stack, services: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    recruitment, _ = services
    call_id = await new_open_call(recruitment)
    person = applicant()
    application_id, valid = submitted_event(call_id, person)
    _, invalid = submitted_event(
        call_id, applicant(phone="not-a-phone"), application_id=f"{application_id}-bad"
    )
    malformed = b"\xff\xfe not even utf-8"
    topic = Topic.APPLICATION_SUBMITTED.value
    for value in (malformed, invalid, valid):  # one key: one partition, in this order
        await publish(stack.bootstrap_servers, topic, value, key=application_id)

    assert len(await screened_events(stack, application_id)) == 1
    dead = await collect(
        stack.bootstrap_servers,
        [dead_letter_topic(topic)],
        lambda r: r.key == application_id.encode(),
        expected=2,
    )
    reasons = {dict(r.headers)["dlq.reason"].decode(): r for r in dead}
    assert set(reasons) == {"not_json", "schema_invalid"}
    assert reasons["not_json"].value == malformed
    assert b"applicant.phone" in dict(reasons["schema_invalid"].headers)["dlq.error"]


async def test_a_citizen_applies_over_http_and_hears_back_the_same_way(
    stack: Stack, services: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    recruitment, _ = services
    call_id = await new_open_call(recruitment)
    person = applicant()
    answer = await recruitment.post(
        "/applications",
        json={"call_id": call_id, "applicant": person},
        headers=as_citizen(person["applicant_id"]),
    )
    assert answer.status_code == 202
    application_id = answer.json()["application_id"]

    submitted = await collect(
        stack.bootstrap_servers,
        [Topic.APPLICATION_SUBMITTED.value],
        lambda r: r.key == application_id.encode(),
        expected=1,
    )
    assert json.loads(submitted[0].value)["data"]["channel"] == "web"
    assert len(await screened_events(stack, application_id)) == 1
    # The screening is stored before it is published: the status is there now.
    own = as_citizen(person["applicant_id"])
    body = (await recruitment.get(f"/applications/{application_id}", headers=own)).json()
    assert body["status"] == "eligible"
    sms = await wait_for(lambda: len(sms_to(stack, person)) >= 2 and sms_to(stack, person))
    assert len(sms) == 2


async def test_http_answers_bad_applications_with_4xx_naming_the_field(
    services: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    recruitment, _ = services
    call_id = await new_open_call(recruitment)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"call_id": call_id, "applicant": applicant(phone="12")}, 422, "applicant.phone"),
        (
            {"call_id": call_id, "applicant": applicant(name="850302-1234567")},
            422,
            "applicant.name",
        ),
        ({"call_id": "no-such-call", "applicant": applicant()}, 404, "call_id"),
        ({"call_id": call_id}, 422, "applicant"),
    ]
    for body, status, field in cases:
        citizen = as_citizen(body.get("applicant", {}).get("applicant_id", "A-unknown"))
        answer = await recruitment.post("/applications", json=body, headers=citizen)
        assert answer.status_code == status, body
        assert field in [p["field"] for p in answer.json()["detail"]]
        assert "850302" not in answer.text
