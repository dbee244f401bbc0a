"""Request size and submission rate limits (shared/limits.py), on small apps of their own: the
services wire the same middleware and dependency."""

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, FastAPI, Request

from shared.limits import BodySizeLimit, RateLimit, SubmissionRateLimit, TokenBuckets
from shared.problems import Problem

LIMIT = 1000


def echo_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(BodySizeLimit, max_bytes=LIMIT)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


async def test_a_body_within_the_limit_reaches_the_route_whole() -> None:
    async with client(echo_app()) as http:
        response = await http.post("/echo", content=b"x" * LIMIT)
    assert response.status_code == 200
    assert response.json() == {"received": LIMIT}


async def test_a_body_over_the_limit_is_refused_with_413_naming_the_body() -> None:
    async with client(echo_app()) as http:
        response = await http.post("/echo", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json() == {
        "detail": [{"field": "body", "problem": f"the request body is larger than {LIMIT} bytes"}]
    }


async def test_a_streamed_body_without_a_length_is_counted_and_cut_off() -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(100):
            sent += 1
            yield b"y" * 100

    async with client(echo_app()) as http:
        response = await http.post("/echo", content=chunks())
    assert response.status_code == 413


async def test_a_content_length_that_lies_low_does_not_get_a_large_body_through() -> None:
    app = echo_app()
    messages = [
        {"type": "http.request", "body": b"z" * 600, "more_body": True},
        {"type": "http.request", "body": b"z" * 600, "more_body": False},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/echo",
        "raw_path": b"/echo",
        "query_string": b"",
        "headers": [(b"content-length", b"10")],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("service", 80),
        "client": ("203.0.113.9", 5000),
        "root_path": "",
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 413


def test_a_client_gets_its_burst_then_the_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate_per_s=1.0, burst=3, monotonic=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == 1.0
    assert buckets.take("b") == 0.0  # another client has a bucket of its own
    now[0] = 1.0
    assert buckets.take("a") == 0.0


def test_made_up_clients_cannot_grow_the_buckets_without_bound() -> None:
    buckets = TokenBuckets(rate_per_s=1.0, burst=1, max_clients=10)
    for n in range(1000):
        buckets.take(f"addr:10.0.{n // 256}.{n % 256}")
    assert len(buckets._buckets) == 10


def limited_app(limit: RateLimit) -> FastAPI:
    app = FastAPI()

    @app.exception_handler(Problem)
    async def problem(_: Request, error: Problem) -> Any:
        from fastapi.responses import JSONResponse

        return JSONResponse(
            status_code=error.status,
            content={"detail": [{"field": error.field, "problem": error.problem}]},
            headers=getattr(error, "headers", None),
        )

    async def authenticated(request: Request) -> str:  # what shared.auth does
        subject = request.headers.get("x-subject", "")
        if subject:
            request.state.principal = SimpleNamespace(subject=subject)
        return subject

    @app.post("/applications", status_code=202)
    async def apply(
        who: Annotated[str, Depends(authenticated)], _: Annotated[None, Depends(limit)]
    ) -> dict[str, str]:
        return {"who": who}

    return app


async def test_the_submission_route_answers_429_with_retry_after_past_the_burst() -> None:
    async with client(limited_app(RateLimit(per_minute=6, burst=2))) as http:
        statuses = [(await http.post("/applications")).status_code for _ in range(3)]
        refused = await http.post("/applications")
    assert statuses == [202, 202, 429]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["detail"][0]["field"] == "client"


async def test_citizens_behind_one_address_are_limited_each_by_their_own_token() -> None:
    async with client(limited_app(RateLimit(per_minute=6, burst=1))) as http:
        first = await http.post("/applications", headers={"x-subject": "p-1"})
        second = await http.post("/applications", headers={"x-subject": "p-2"})
        again = await http.post("/applications", headers={"x-subject": "p-1"})
    assert (first.status_code, second.status_code, again.status_code) == (202, 202, 429)


async def test_a_rate_of_zero_turns_the_limit_off() -> None:
    async with client(limited_app(RateLimit(per_minute=0, burst=1))) as http:
        statuses = {(await http.post("/applications")).status_code for _ in range(20)}
    assert statuses == {202}


def submissions_app(limit: RateLimit) -> FastAPI:
    app = FastAPI()

    @app.post("/applications", status_code=202)
    async def apply() -> dict[str, str]:
        return {}

    @app.get("/applications")
    async def listing() -> dict[str, str]:
        return {}

    app.add_middleware(SubmissionRateLimit, method="POST", path="/applications", limit=limit)
    return app


def token(sub: str, *roles: str) -> dict[str, str]:
    # Signed with a throwaway key: the middleware reads claims only, the route verifies.
    signed = jwt.encode({"sub": sub, "roles": list(roles)}, "k" * 32, algorithm="HS256")
    return {"Authorization": f"Bearer {signed}"}


async def test_the_submission_middleware_limits_only_its_method_and_path() -> None:
    async with client(submissions_app(RateLimit(6, 1))) as http:
        posts = [(await http.post("/applications")).status_code for _ in range(2)]
        refused = await http.post("/applications")
        gets = {(await http.get("/applications")).status_code for _ in range(5)}
    assert posts == [202, 429]
    assert refused.headers["retry-after"] == "10"
    assert refused.json() == {
        "detail": [{"field": "client", "problem": "too many submissions; try again later"}]
    }
    assert gets == {200}


async def test_citizens_sharing_an_address_each_have_the_bucket_of_their_token() -> None:
    async with client(submissions_app(RateLimit(6, 1))) as http:
        first = await http.post("/applications", headers=token("p-1", "citizen"))
        other = await http.post("/applications", headers=token("p-2", "citizen"))
        again = await http.post("/applications", headers=token("p-1", "citizen"))
    assert (first.status_code, other.status_code, again.status_code) == (202, 202, 429)


async def test_a_partner_system_submitting_for_many_citizens_is_not_limited() -> None:
    async with client(submissions_app(RateLimit(6, 1))) as http:
        statuses = {
            (await http.post("/applications", headers=token("district", "partner"))).status_code
            for _ in range(10)
        }
    assert statuses == {202}


async def test_a_token_that_is_not_a_jwt_counts_as_its_address() -> None:
    async with client(submissions_app(RateLimit(6, 1))) as http:
        bogus = {"Authorization": "Bearer not.a.jwt"}
        statuses = [(await http.post("/applications", headers=bogus)).status_code for _ in range(2)]
    assert statuses == [202, 429]
