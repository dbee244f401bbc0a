"""Personal data at rest (docs/decisions/0006), on the real broker and database: citizens apply
to a public-job call over Kafka and over HTTP, are screened, selected and published; enrollment
keeps their pending enrollments and placement assigns them positions. Then every document of
every database of the run is read raw, with plain PyMongo, and no phone number, e-mail address
or name of theirs appears anywhere in it, not even inside the JSON text fields. A second test
shows a citizen their data (right of access) and then lets retention purge it."""

import json
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from services.enrollment.app import EnrollmentSettings
from services.enrollment.app import create_app as create_enrollment
from services.notify.app import NotifySettings
from services.notify.app import create_app as create_notify
from services.placement.app import PlacementSettings
from services.placement.app import create_app as create_placement
from services.placement.domain.projects import ProjectCatalog
from services.recruitment.app import RecruitmentSettings
from services.recruitment.app import create_app as create_recruitment
from services.recruitment.use_cases import DEFAULT_RETENTION
from shared.clock import now_kst
from shared.topics import Topic
from tests.conftest import (
    MovableClock,
    Stack,
    as_auditor,
    as_citizen,
    daytime_clock,
    publish_many,
    running,
    wait_for,
)
from tests.e2e.applicants import applicant, open_call, submitted_event
from tests.placement.unit.builders import make_call, project

pytestmark = pytest.mark.integration

# The databases of the run, by service.
SERVICES = ("recruitment", "enrollment", "placement", "notify")
BY_KAFKA, BY_HTTP = 4, 2


def korean_name() -> str:
    """A name of its own per run, so that finding it anywhere is finding a leak."""
    syllables = [chr(random.randint(0xAC00, 0xD7A3)) for _ in range(4)]
    return "".join(syllables)


@dataclass(frozen=True)
class Journey:
    stack: Stack
    databases: dict[str, str]
    people: list[dict[str, Any]]
    application_ids: list[str]
    call_id: str
    recruitment: httpx.AsyncClient
    enrollment: httpx.AsyncClient
    placement: httpx.AsyncClient
    clock: MovableClock


def personal_strings(person: dict[str, Any]) -> dict[str, str]:
    return {
        "name": person["name"],
        "phone": person["phone"],
        "phone digits": person["phone"].replace("-", ""),
        "e-mail": person["email"],
    }


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a decoded BSON document, and in any JSON text inside it."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
    elif isinstance(value, str):
        yield value
        if value.startswith(("{", "[")):
            yield from strings_in(_json_or_none(value))
    elif value is not None:
        yield str(value)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def raw_documents(stack: Stack, database: str) -> dict[str, list[dict[str, Any]]]:
    client: MongoClient[dict[str, Any]] = MongoClient(stack.mongodb_uri)
    try:
        db = client[database]
        return {name: list(db[name].find({})) for name in db.list_collection_names()}
    finally:
        client.close()


def count_in(stack: Stack, database: str, collection: str, ids: list[str]) -> int:
    documents = raw_documents(stack, database).get(collection, [])
    return sum(1 for doc in documents if doc.get("application_id", doc["_id"]) in ids)


@pytest.fixture(scope="module")
async def journey(stack: Stack) -> AsyncIterator[Journey]:
    call_id = f"call-pd-{uuid.uuid4().hex[:8]}"
    clock = MovableClock(now_kst())
    settings = {name: stack.service_env(name) for name in SERVICES if name != "notify"}
    settings["notify"] = stack.notify_env()  # a database of its own, and the sinks
    recruitment_app = create_recruitment(
        RecruitmentSettings(**settings["recruitment"], seed_catalog=True), clock=clock
    )
    enrollment_app = create_enrollment(EnrollmentSettings(**settings["enrollment"]))
    positions = ProjectCatalog((make_call(project("near", 10), call_id=call_id),))
    placement_app = create_placement(PlacementSettings(**settings["placement"]), projects=positions)
    # Notify keeps contacts, recipients and texts that name the citizen; at noon, so that
    # messages are sent (and their delivery records written) whenever the test runs.
    notify_app = create_notify(NotifySettings(**settings["notify"]), clock=daytime_clock())
    people = [applicant(name=korean_name()) for _ in range(BY_KAFKA + BY_HTTP)]
    async with (
        running(recruitment_app) as recruitment,
        running(enrollment_app) as enrollment,
        running(placement_app) as placement,
        running(notify_app),
    ):
        assert (await recruitment.post("/calls", json=open_call(call_id))).status_code == 201
        assert (await recruitment.post(f"/calls/{call_id}/open")).status_code == 200
        by_kafka = [submitted_event(call_id, person) for person in people[:BY_KAFKA]]
        await publish_many(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, by_kafka)
        application_ids = [application_id for application_id, _ in by_kafka]
        for person in people[BY_KAFKA:]:
            answer = await recruitment.post(
                "/applications",
                json={"call_id": call_id, "applicant": person},
                headers=as_citizen(person["applicant_id"]),
            )
            assert answer.status_code == 202, answer.text
            application_ids.append(answer.json()["application_id"])

        async def all_screened() -> bool:
            answers = [await recruitment.get(f"/applications/{a}") for a in application_ids]
            return all(a.status_code == 200 for a in answers)

        assert await wait_for(all_screened)
        assert (await recruitment.post(f"/calls/{call_id}/close")).status_code == 200
        selection = await recruitment.post(f"/calls/{call_id}/selection", json={})
        assert selection.status_code in (200, 201), selection.text
        assert (await recruitment.post(f"/calls/{call_id}/publish")).status_code == 200
        databases = {name: settings[name]["mongodb_database"] for name in SERVICES}
        phones = {person["phone"].replace("-", "") for person in people}

        progress: dict[str, int] = {}

        def downstream_done() -> bool:
            progress.update(
                enrolled=count_in(stack, databases["enrollment"], "enrollments", application_ids),
                placed=count_in(stack, databases["placement"], "assignments", application_ids),
                contacts=count_in(stack, databases["notify"], "contact_versions", application_ids),
                sms=len([m for m in stack.sms.messages() if m["to"] in phones]),
            )
            return all(count >= len(application_ids) for count in progress.values())

        assert await wait_for(downstream_done, within=90), progress
        yield Journey(
            stack,
            databases,
            people,
            application_ids,
            call_id,
            recruitment,
            enrollment,
            placement,
            clock,
        )


@pytest.mark.parametrize("service", SERVICES)
def test_no_name_phone_or_email_is_stored_in_plain_text(journey: Journey, service: str) -> None:
    collections = raw_documents(journey.stack, journey.databases[service])
    everything = [s for docs in collections.values() for doc in docs for s in strings_in(doc)]
    # The run reached this database: its documents name the applications.
    assert any(a in s for a in journey.application_ids for s in everything), service

    leaks = [
        (what, collection)
        for collection, docs in collections.items()
        for doc in docs
        for text in strings_in(doc)
        for person in journey.people
        for what, secret in personal_strings(person).items()
        if secret in text
    ]
    assert leaks == []


def test_recruitment_keeps_the_personal_fields_sealed_beside_the_application(
    journey: Journey,
) -> None:
    documents = raw_documents(journey.stack, journey.databases["recruitment"])["applications"]
    ours = [doc for doc in documents if doc["_id"] in journey.application_ids]
    assert len(ours) == len(journey.application_ids)
    for doc in ours:
        sealed = json.loads(doc["personal"])
        assert set(sealed) == {"name", "birth_date", "phone", "email"}
        assert all(value.startswith("pd1.") for value in sealed.values())
        assert not {"name", "birth_date", "phone", "email"} & set(
            json.loads(doc["application"])["applicant"]
        )


async def test_a_citizen_sees_their_data_until_retention_purges_it_and_the_statistics_stay(
    journey: Journey,
) -> None:
    recruitment, person = journey.recruitment, journey.people[0]
    own = as_citizen(person["applicant_id"])
    held = (await recruitment.get(f"/citizens/{person['applicant_id']}/data", headers=own)).json()
    [application] = held["applications"]
    assert application["application"]["applicant"]["name"] == person["name"]
    assert application["application"]["applicant"]["phone"] == person["phone"]
    assert application["application"]["applicant"]["email"] == person["email"]
    assert application["application"]["applicant"]["birth_date"] == person["birth_date"]
    assert [d["decision"] for d in application["decisions"]] == ["selected"]
    someone_else = journey.people[1]["applicant_id"]
    assert (await recruitment.get(f"/citizens/{someone_else}/data", headers=own)).status_code == 403
    assert (
        await recruitment.get(f"/citizens/{person['applicant_id']}/data", headers=as_auditor())
    ).status_code == 403
    counts_before = (await recruitment.get(f"/calls/{journey.call_id}")).json()["applications"]

    nothing_yet = (await recruitment.post("/privacy/retention/run")).json()
    assert journey.call_id not in nothing_yet["purged"]
    # The programme (open_call: starts in 30 days, no end date) ended longer ago than that.
    journey.clock.move_to(journey.clock() + timedelta(days=30 + 2) + DEFAULT_RETENTION)
    purged = (await recruitment.post("/privacy/retention/run")).json()
    again = (await recruitment.post("/privacy/retention/run")).json()

    assert purged["purged"][journey.call_id] == len(journey.application_ids)
    assert journey.call_id not in again["purged"]
    after = (await recruitment.get(f"/citizens/{person['applicant_id']}/data", headers=own)).json()
    [application] = after["applications"]
    assert application["application"] is None
    assert application["personal_data_purged_at"] is not None
    assert application["screening"]["score"] is not None  # anonymous statistics stay
    assert [d["decision"] for d in application["decisions"]] == ["selected"]
    status = (await recruitment.get(f"/applications/{journey.application_ids[0]}")).json()
    assert status["status"] == "selected"
    counts_after = (await recruitment.get(f"/calls/{journey.call_id}")).json()["applications"]
    assert counts_after == counts_before
    documents = raw_documents(journey.stack, journey.databases["recruitment"])["applications"]
    purged_documents = [d for d in documents if d["call_id"] == journey.call_id]
    assert purged_documents
    assert not any({"personal", "application"} & set(d) for d in purged_documents)


async def test_enrollment_and_placement_show_a_citizen_what_they_hold_and_only_to_them(
    journey: Journey,
) -> None:
    person, application_id = journey.people[0], journey.application_ids[0]
    own = as_citizen(person["applicant_id"])

    enrolled = await journey.enrollment.get(f"/citizens/{person['applicant_id']}/data", headers=own)
    placed = await journey.placement.get(f"/citizens/{person['applicant_id']}/data", headers=own)

    assert enrolled.status_code == placed.status_code == 200, (enrolled.text, placed.text)
    assert [p["application_id"] for p in enrolled.json()["pending"]] == [application_id]
    assert [a["application_id"] for a in placed.json()["assignments"]] == [application_id]
    assert [p["call_id"] for p in placed.json()["preferences"]] == [journey.call_id]
    other = as_citizen(journey.people[1]["applicant_id"])
    for service in (journey.enrollment, journey.placement):
        refused = await service.get(f"/citizens/{person['applicant_id']}/data", headers=other)
        assert refused.status_code == 403
