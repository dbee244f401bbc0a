"""Every HTTP route of every service wants a valid bearer token, except the probes, metrics and
docs; the routes come from each app's OpenAPI document, so a new route cannot slip through.

A role that may not call a route is refused before anything is read (403), which is why this
needs neither Kafka nor a database: the apps are built, never started.
"""

import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.enrollment.app import EnrollmentSettings
from services.enrollment.app import create_app as create_enrollment
from services.notify.app import NotifySettings
from services.notify.app import create_app as create_notify
from services.placement.app import PlacementSettings
from services.placement.app import create_app as create_placement
from services.recruitment.app import RecruitmentSettings
from services.recruitment.app import create_app as create_recruitment
from tests.conftest import (
    as_auditor,
    as_citizen,
    as_operator,
    as_partner,
    auth_settings,
    bearer,
    session_issuer,
)

OPEN = {"/healthz", "/readyz", "/metrics", "/asyncapi", "/asyncapi.json"}
# What a citizen may change: their application, their offers, their seat, their survey.
CITIZEN_WRITES = {
    ("recruitment", "POST", "/applications"),
    ("enrollment", "POST", "/applicants/{applicant_id}/offers/{offer_id}/accept"),
    ("enrollment", "POST", "/applicants/{applicant_id}/offers/{offer_id}/decline"),
    ("enrollment", "POST", "/applicants/{applicant_id}/enrollments/{enrollment_id}/withdraw"),
    ("enrollment", "POST", "/surveys/{enrollment_id}"),
}
PARTNER_ROUTES = {("recruitment", "POST", "/applications")}
Route = tuple[str, str, str]


def settings(service: str) -> dict[str, Any]:
    return {
        # Nothing listens there: a route that lets a request through to the database fails
        # fast (500) instead of passing or hanging.
        "mongodb_uri": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=50",
        "mongodb_database": f"test_{service}_{uuid.uuid4().hex[:10]}",
        **auth_settings(),
    }


FACTORIES: dict[str, Callable[[], FastAPI]] = {
    "recruitment": lambda: create_recruitment(RecruitmentSettings(**settings("recruitment"))),
    "enrollment": lambda: create_enrollment(EnrollmentSettings(**settings("enrollment"))),
    "placement": lambda: create_placement(PlacementSettings(**settings("placement"))),
    "notify": lambda: create_notify(NotifySettings(**settings("notify"))),
}


@pytest.fixture(scope="module")
def apps() -> Iterator[dict[str, FastAPI]]:
    # Built in a fixture, not at collection: the apps need the session's personal-data keys.
    yield {name: factory() for name, factory in FACTORIES.items()}


@pytest.fixture(scope="module")
def routes(apps: dict[str, FastAPI]) -> list[Route]:
    return [
        (name, method, path)
        for name, app in apps.items()
        for method, path in routes_of(app)
        if path not in OPEN
    ]


def routes_of(app: FastAPI) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


async def call(
    app: FastAPI, method: str, path: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    url = re.sub(r"\{[^}]+\}", "x", path)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        return await client.request(method, url, headers=headers)


async def answers(
    apps: dict[str, FastAPI], routes: Iterable[Route], headers: Callable[[], dict[str, str]]
) -> dict[Route, int]:
    """Each route's status for a request with these headers (no body, ids "x")."""
    found = {}
    for service, method, path in routes:
        found[(service, method, path)] = (
            await call(apps[service], method, path, headers())
        ).status_code
    return found


def test_the_routes_are_found_and_only_probes_metrics_and_docs_are_open(
    apps: dict[str, FastAPI], routes: list[Route]
) -> None:
    assert len(routes) > 40
    for app in apps.values():
        assert {path for _, path in routes_of(app) if path in OPEN} == OPEN
    assert {r for r in routes if r[2] == "/audit"} == {(n, "GET", "/audit") for n in FACTORIES}
    assert set(routes) >= CITIZEN_WRITES


async def test_a_request_without_a_token_is_refused_with_401_on_every_route(
    apps: dict[str, FastAPI], routes: list[Route]
) -> None:
    wrong = []
    for service, method, path in routes:
        answer = await call(apps[service], method, path)
        refused = answer.status_code == 401 and answer.headers.get("www-authenticate") == "Bearer"
        if not refused or answer.json() != {
            "detail": [{"field": "authorization", "problem": "a bearer token is required"}]
        }:
            wrong.append((service, method, path, answer.status_code))
    assert wrong == []


async def test_an_expired_or_tampered_token_is_refused_with_401_on_every_route(
    apps: dict[str, FastAPI], routes: list[Route]
) -> None:
    expired = session_issuer().mint("op-1", ["operator"], ["*"], ttl_seconds=-300)
    header, payload, signature = session_issuer().mint("A-1", ["citizen"]).split(".")
    tampered = f"{header}.{payload[:-4]}AAAA.{signature}"
    for token in (expired, tampered):
        found = await answers(apps, routes, lambda: bearer(token))  # noqa: B023
        assert {r: s for r, s in found.items() if s != 401} == {}


async def test_a_partner_may_only_submit(apps: dict[str, FastAPI], routes: list[Route]) -> None:
    others = [r for r in routes if r not in PARTNER_ROUTES]
    found = await answers(apps, others, as_partner)
    assert {r: s for r, s in found.items() if s != 403} == {}
    submitted = await call(apps["recruitment"], "POST", "/applications", as_partner())
    assert submitted.status_code == 422  # let through; only the (missing) body is wrong


async def test_a_citizen_changes_nothing_but_their_own_applications_seats_and_surveys(
    apps: dict[str, FastAPI], routes: list[Route]
) -> None:
    writes = [r for r in routes if r[1] != "GET" and r not in CITIZEN_WRITES]
    found = await answers(apps, writes, lambda: as_citizen("A-1"))
    assert {r: s for r, s in found.items() if s != 403} == {}


async def test_a_citizen_never_reaches_another_citizen_s_data(
    apps: dict[str, FastAPI], routes: list[Route]
) -> None:
    about_a_citizen = [r for r in routes if "{applicant_id}" in r[2]]
    assert len(about_a_citizen) >= 6
    found = {}
    for service, method, path in about_a_citizen:
        url = path.replace("{applicant_id}", "A-2")
        found[(service, method, path)] = (
            await call(apps[service], method, url, as_citizen("A-1"))
        ).status_code
    assert {r: s for r, s in found.items() if s != 403} == {}


async def test_an_auditor_only_reads(apps: dict[str, FastAPI], routes: list[Route]) -> None:
    writes = [r for r in routes if r[1] != "GET"]
    found = await answers(apps, writes, as_auditor)
    assert {r: s for r, s in found.items() if s != 403} == {}


async def test_an_operator_does_not_act_for_a_citizen(apps: dict[str, FastAPI]) -> None:
    found = await answers(apps, sorted(CITIZEN_WRITES), as_operator)
    assert {r: s for r, s in found.items() if s != 403} == {}


async def test_only_an_auditor_reads_the_audit_log(apps: dict[str, FastAPI]) -> None:
    for app in apps.values():
        for headers in (as_operator(), as_citizen("A-1"), as_partner()):
            answer = await call(app, "GET", "/audit", headers)
            assert answer.status_code == 403, answer.text
            assert answer.json() == {
                "detail": [{"field": "role", "problem": "this needs the role auditor"}]
            }


async def test_the_probes_and_the_docs_stay_open(apps: dict[str, FastAPI]) -> None:
    for app in apps.values():
        for path in ("/healthz", "/metrics", "/openapi.json", "/docs", "/asyncapi.json"):
            assert (await call(app, "GET", path)).status_code == 200, path
