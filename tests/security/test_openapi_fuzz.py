"""Schemathesis against each service's OpenAPI, in process over ASGI, on the real stack: every
operation gets generated requests (valid and invalid per the schema) and none may be answered
with a server error (5xx) or crash the app.

The number of examples per operation is bounded (FUZZ_EXAMPLES, default 15) so that the file
runs in about a minute in CI; a local soak raises it and sets FUZZ_EXPLORE=1. Requests carry
`request_headers(service)`, a bearer token with every role, so that the fuzzing reaches past
authentication into the routes themselves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Err
from schemathesis.python import asgi

from tests.conftest import Stack, daytime_clock

pytestmark = [
    pytest.mark.integration,
    # Schemathesis's own strategies draw from `random`; Hypothesis warns about that, not us.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# The same requests every CI run, so that a failure reproduces; FUZZ_EXPLORE=1 draws new ones
# (a local soak that looks further, with FUZZ_EXAMPLES raised).
DERANDOMIZE = os.environ.get("FUZZ_EXPLORE", "") != "1"


# Server errors found and handed to the owners of the routes, not fixed yet: while every
# finding of a run is one of these, the test is reported as an expected failure (XFAIL, with
# the finding), so CI stays green yet shows it; any other server error fails the test. Drop
# an entry when its fix lands (the test then passes).
# Server errors found and not fixed yet, as (operation, error): none. Two were found and fixed
# (a matching day's times with an offset; a call window in year 1).
KNOWN_SERVER_ERRORS: set[tuple[str, str]] = set()


def build(service: str, stack: Stack) -> FastAPI:
    env = stack.service_env(service)
    if service == "recruitment":
        from services.recruitment.app import RecruitmentSettings
        from services.recruitment.app import create_app as recruitment

        return recruitment(RecruitmentSettings(**env, seed_catalog=True))
    if service == "enrollment":
        from services.enrollment.app import EnrollmentSettings
        from services.enrollment.app import create_app as enrollment

        return enrollment(EnrollmentSettings(**env))
    if service == "placement":
        from services.placement.app import PlacementSettings
        from services.placement.app import create_app as placement

        return placement(PlacementSettings(**env))
    from services.notify.app import NotifySettings
    from services.notify.app import create_app as notify

    return notify(NotifySettings(**stack.notify_env()), clock=daytime_clock())


def request_headers(service: str) -> dict[str, str]:
    """What every generated request carries: a token holding every role, of every program,
    minted by the harness's issuer (tests/conftest.py), so that the fuzzing reaches past
    authentication into the routes; an operator's token if only that helper is there."""
    from tests import conftest

    for name in ("session_issuer", "test_issuer"):
        issuer: Callable[[], Any] | None = getattr(conftest, name, None)
        if issuer is not None:
            roles = ["citizen", "operator", "partner", "auditor"]
            return {"Authorization": f"Bearer {issuer().mint(f'fuzz-{service}', roles, ['*'])}"}
    as_operator: Callable[[], dict[str, str]] | None = getattr(conftest, "as_operator", None)
    return as_operator() if as_operator is not None else {}


def known(finding: str) -> bool:
    first_line = finding.split("\n", 1)[0]
    return any(
        first_line.startswith(f"{operation}: raised {error}")
        for operation, error in KNOWN_SERVER_ERRORS
    )


@dataclass
class Findings:
    server_errors: list[str] = field(default_factory=list)
    calls: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    samples: dict[int, str] = field(default_factory=dict)  # an answer of each status


def wait_until_ready(app: FastAPI, within: float = 60.0) -> None:
    # Starts the app's lifespan (schemathesis keeps it for the process) and waits for Kafka
    # and the database: a request before that would measure the stack, not the API.
    deadline = time.monotonic() + within
    with asgi.get_client(cast(Any, app)) as client:
        while client.get("/readyz").status_code != 200:
            if time.monotonic() > deadline:
                raise TimeoutError("the service did not become ready")
            time.sleep(0.3)


def fuzz(app: FastAPI, headers: dict[str, str]) -> Findings:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    findings = Findings()
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # a schema that schemathesis cannot read is a finding too
            findings.server_errors.append(f"unreadable operation: {result.err()}")
            continue
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=DERANDOMIZE,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        # Valid requests reach the routes' logic; invalid ones (wrong types, missing fields,
        # bodies that break the schema) test what refuses them.
        @given(
            case=operation.as_strategy(GenerationMode.POSITIVE)
            | operation.as_strategy(GenerationMode.NEGATIVE)
        )
        def call(case: Any) -> None:
            findings.calls += 1
            try:
                # The token wins over whatever was generated for the bearer scheme's header.
                case.headers = {**(case.headers or {}), **headers}
                response = case.call()
            except Exception as error:  # the app raised through the ASGI stack
                findings.server_errors.append(
                    f"{case.operation.label}: raised {type(error).__name__}: {error}\n"
                    f"{case.as_curl_command()}"
                )
                return
            status = response.status_code
            findings.by_status[status] = findings.by_status.get(status, 0) + 1
            findings.samples.setdefault(status, f"{case.operation.label}: {response.text[:200]}")
            if status >= 500:
                findings.server_errors.append(
                    f"{case.operation.label}: {status} {response.text[:300]}\n"
                    f"{case.as_curl_command()}"
                )

        call()
    return findings


@pytest.fixture
def service_app(request: pytest.FixtureRequest, stack: Stack) -> Iterator[FastAPI]:
    app = build(request.param, stack)
    try:
        wait_until_ready(app)
        yield app
    finally:
        asgi.shutdown_lifespans()


@pytest.mark.parametrize(
    "service_app", ["recruitment", "enrollment", "placement", "notify"], indirect=True
)
def test_no_generated_request_makes_a_service_answer_with_a_server_error(
    service_app: FastAPI, request: pytest.FixtureRequest
) -> None:
    service = request.node.callspec.params["service_app"]
    findings = fuzz(service_app, request_headers(service))
    print(f"{service}: {findings.calls} requests, statuses {sorted(findings.by_status.items())}")
    for status, sample in sorted(findings.samples.items()):
        print(f"  {status}: {sample}")
    assert findings.calls > 0
    report = "\n\n".join(findings.server_errors[:10])
    if findings.server_errors and all(known(e) for e in findings.server_errors):
        pytest.xfail(f"known server errors, handed to the route owners:\n{report}")
    assert not findings.server_errors, report
