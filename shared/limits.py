"""Limits on what a caller can make a service do: body sizes, and a rate on citizen submissions.

    HTTP_MAX_BODY_BYTES            1048576  larger request bodies get 413, unread
    KAFKA_MAX_MESSAGE_BYTES        524288   larger records go to the dead-letter topic, undecoded
    SUBMISSIONS_PER_MINUTE         10       per client on POST /applications (0: no limit)
    SUBMISSION_BURST               5        that many at once before the rate applies

A client is the subject of its bearer token, else its address: citizens behind one
carrier's NAT are not limited together. Partner systems are not limited by it. Behind a reverse
proxy the address is the proxy's unless uvicorn trusts its X-Forwarded-For
(`--proxy-headers --forwarded-allow-ips=<proxy>`); see docs/security.md.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Request
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import Problem


class LimitSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # A call with its rules is a few kilobytes, an application about one: a megabyte is
    # generous and still bounds what one request can make the service hold in memory.
    http_max_body_bytes: int = 1_048_576
    # Every contract event is a few kilobytes; below the broker's 1 MiB record limit, so a
    # refused record still fits, unchanged, into the dead-letter topic.
    kafka_max_message_bytes: int = 524_288
    submissions_per_minute: float = 10.0
    submission_burst: int = 5


# -- body size -------------------------------------------------------------------------------
def too_large_body(max_bytes: int) -> bytes:
    problem = f"the request body is larger than {max_bytes} bytes"
    return json.dumps({"detail": [{"field": "body", "problem": problem}]}).encode()


class BodySizeLimit:
    """Pure ASGI middleware: a request body over `max_bytes` is answered 413, unread.

    The bytes are counted as they arrive, whatever Content-Length claims (a chunked body
    has none, a lying client sends more): reading stops at the chunk that passes the limit;
    a body within it is handed to the app from memory, whole."""

    def __init__(self, app: ASGIApp, max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes if max_bytes is not None else LimitSettings().http_max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nothing to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as servers do

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = too_large_body(self.max_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body is not read: the connection cannot be reused.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


# -- rate ------------------------------------------------------------------------------------
class TooManyRequests(Problem):
    status = 429

    def __init__(self, retry_after_seconds: float) -> None:
        super().__init__("client", "too many submissions; try again later")
        # Read by the runtime's Problem handler, as for 401's WWW-Authenticate.
        self.headers = {"Retry-After": str(max(1, math.ceil(retry_after_seconds)))}


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """A token bucket per client: `burst` at once, then `rate_per_s` on average.

    At most `max_clients` buckets are kept, least recently used dropped first, so that
    addresses an attacker makes up cannot grow memory without bound (a dropped client
    starts again with a full bucket, which only errs on the side of the citizen)."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        max_clients: int = 100_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate_per_s = rate_per_s
        self.burst = max(1, burst)
        self.max_clients = max_clients
        self._monotonic = monotonic
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, client: str) -> float:
        """0 when `client` may go ahead now, else the seconds until it may."""
        now = self._monotonic()
        bucket = self._buckets.pop(client, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate_per_s)
        bucket.at = now
        self._buckets[client] = bucket  # most recently used last
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate_per_s


def client_key(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    subject = getattr(principal, "subject", None)
    if isinstance(subject, str) and subject:
        return f"sub:{subject}"
    return f"addr:{request.client.host if request.client else 'unknown'}"


class RateLimit:
    """Token buckets per client as a FastAPI dependency (a route parameter placed after the
    route's authentication one, which puts the verified caller on `request.state`); also
    what `SubmissionRateLimit` counts with."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.buckets = TokenBuckets(per_minute / 60.0, burst) if per_minute > 0 else None

    @classmethod
    def submissions(cls, settings: LimitSettings | None = None) -> RateLimit:
        settings = settings or LimitSettings()
        return cls(settings.submissions_per_minute, settings.submission_burst)

    async def __call__(self, request: Request) -> None:
        if self.buckets is None:
            return
        wait = self.buckets.take(client_key(request))
        if wait > 0:
            raise TooManyRequests(wait)


def token_claims(headers: dict[bytes, bytes]) -> dict[str, Any]:
    """The claims of the request's bearer token, read WITHOUT verifying it (empty if none).

    Good enough to pick a rate-limit bucket before routing: the route verifies the token
    next, so a request whose claims were made up is refused (401) whatever bucket it took,
    and a request that gets through had these very claims signed by the issuer."""
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return {}
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


class SubmissionRateLimit:
    """Pure ASGI middleware: the submission rate on one method and path, wired from the app
    module without touching its routes:

        app.add_middleware(SubmissionRateLimit, method="POST", path="/applications")

    A client is its token's subject, else its address. Partner systems (role `partner`)
    submit for many citizens and are not limited here: their volume is agreed, not guessed.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        method: str,
        path: str,
        limit: RateLimit | None = None,
        exempt_roles: frozenset[str] = frozenset({"partner"}),
    ) -> None:
        self.app = app
        self.method = method.upper()
        self.path = path.rstrip("/") or "/"
        self.limit = limit or RateLimit.submissions()
        self.exempt_roles = exempt_roles

    def client(self, scope: Scope) -> str | None:
        """The bucket's key, or None for a caller the limit does not apply to."""
        claims = token_claims(dict(scope.get("headers") or []))
        roles = claims.get("roles", [])
        roles = roles.split() if isinstance(roles, str) else roles
        if isinstance(roles, list) and self.exempt_roles.intersection(map(str, roles)):
            return None
        subject = claims.get("sub")
        if isinstance(subject, str) and subject:
            return f"sub:{subject}"
        address = scope.get("client")
        return f"addr:{address[0] if address else 'unknown'}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == self.method
            and (scope["path"].rstrip("/") or "/") == self.path
            and self.limit.buckets is not None
            and (client := self.client(scope)) is not None
        ):
            wait = self.limit.buckets.take(client)
            if wait > 0:
                error = TooManyRequests(wait)
                body = json.dumps(
                    {"detail": [{"field": error.field, "problem": error.problem}]}
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 429,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"retry-after", error.headers["Retry-After"].encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
