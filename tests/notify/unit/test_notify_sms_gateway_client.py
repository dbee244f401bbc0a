"""notify's SMS gateway client against a real HTTP server on loopback (aiohttp's own): what
it reports for each kind of answer, that it calls `accepted` only when the gateway took the
message, and that it sends one message after another over kept-alive connections, never more
of them than it was given. The full contract, with the faults, is exercised against the local
gateway in tests/notify/integration."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from deploy.local.stack import free_port
from services.notify.adapters.senders import GatewayReply, SmsGateway, SmsMessage

SENDER = "15889999"


@dataclass
class Gateway:
    """Answers each POST with `status` (and `body`), holding it `delay` seconds first; keeps the
    requests and the connections they came on."""

    status: int = 200
    body: str = '{"ok": true}'
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    connections: set[int] = field(default_factory=set)
    in_flight: int = 0
    most_in_flight: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.connections.add(id(request.transport))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            self.requests.append(await request.json())
            self.authorizations.append(request.headers.get("Authorization"))
            await asyncio.sleep(self.delay)
            return web.Response(status=self.status, text=self.body)
        finally:
            self.in_flight -= 1


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[Gateway, str]]:
    served = Gateway()
    app = web.Application()
    app.router.add_post("/send", served.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield served, f"http://127.0.0.1:{port}/send"
    await runner.cleanup()


def sms(n: int = 0, kind: str = "SMS", subject: str | None = None) -> SmsMessage:
    return SmsMessage(f"m-{n}", "01012345678", kind, "접수되었습니다", subject)  # type: ignore[arg-type]


async def send_one(
    url: str, message: SmsMessage, token: str = "", timeout_seconds: float = 5.0
) -> tuple[GatewayReply, int]:
    """What a new client reports for `message`, and how often it said the gateway took it."""
    taken = 0

    async def accepted() -> None:
        nonlocal taken
        taken += 1

    client = SmsGateway(url, token, SENDER, timeout_seconds)
    try:
        return await client.send(message, accepted), taken
    finally:
        await client.close()


async def test_a_message_the_gateway_takes_is_reported_taken_with_the_contract_s_fields(
    gateway: tuple[Gateway, str],
) -> None:
    served, url = gateway
    assert await send_one(url, sms(1, "LMS", "안내"), token="secret-token") == (
        GatewayReply(200),
        1,
    )
    assert served.requests == [
        {
            "message_id": "m-1",
            "to": "01012345678",
            "from": SENDER,
            "type": "LMS",
            "text": "접수되었습니다",
            "subject": "안내",
        }
    ]
    assert served.authorizations == ["Bearer secret-token"]


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (429, "HTTP 429"),
        (503, "HTTP 503"),
        (400, 'HTTP 400: {"error": "invalid", "field": "to"}'),
    ],
)
async def test_a_refusal_is_reported_as_the_gateway_s_status_and_nothing_is_taken(
    gateway: tuple[Gateway, str], status: int, detail: str
) -> None:
    served, url = gateway
    served.status, served.body = status, json.dumps({"error": "invalid", "field": "to"})
    assert await send_one(url, sms()) == (GatewayReply(status, detail), 0)


async def test_no_answer_in_time_is_reported_as_no_status_naming_what_happened(
    gateway: tuple[Gateway, str],
) -> None:
    served, url = gateway
    served.delay = 2.0
    reply, taken = await send_one(url, sms(), timeout_seconds=0.2)
    assert reply.status is None and "Timeout" in reply.detail
    assert taken == 0


async def test_a_gateway_that_is_not_there_is_reported_as_no_status() -> None:
    reply, taken = await send_one(f"http://127.0.0.1:{free_port()}/send", sms())
    assert reply.status is None and reply.detail
    assert taken == 0


async def test_messages_go_one_after_another_over_at_most_the_connections_given(
    gateway: tuple[Gateway, str],
) -> None:
    served, url = gateway
    served.delay = 0.01
    client = SmsGateway(url, "", SENDER, connections=3)
    try:
        replies = await asyncio.gather(*(client.send(sms(n)) for n in range(60)))
    finally:
        await client.close()
    assert all(reply == GatewayReply(200) for reply in replies)
    assert len(served.requests) == 60
    assert served.most_in_flight == 3
    assert len(served.connections) == 3  # kept alive: 20 messages over each
