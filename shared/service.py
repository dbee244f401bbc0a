"""What every service is made of: settings, logs, metrics, Kafka, MongoDB and the HTTP app.

A service's `app.py` builds a `ServiceRuntime`, registers its event handlers and HTTP routes on
it, and asks it for the ASGI app. The runtime serves /healthz, /readyz, /metrics, the OpenAPI
docs (/docs) and the AsyncAPI docs (/asyncapi) the same way for every service.

Those stay open (probes, Prometheus, partners reading the docs); every other route declares
who may call it with the dependencies of shared.auth, which find the runtime's `Authenticator`
on the app. The runtime also keeps the service's audit log (shared.audit: insert-only, read
by auditors at GET /audit) and gives every request an id (`X-Request-ID`, kept from the
caller when it looks like one) that the audit log records.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from faststream.specification import AsyncAPI, get_asyncapi_html
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pymongo.asynchronous.database import AsyncDatabase

from shared.audit import AuditLog, audit_routes
from shared.auth import Authenticator
from shared.envelope import FORBIDDEN_DATA
from shared.inbox import Inbox
from shared.kafka import (
    BatchHandler,
    EventPublisher,
    PayloadT,
    broker_reachable,
    make_broker,
    publisher_for,
    start_broker,
    subscribe,
)
from shared.limits import BodySizeLimit
from shared.log import configure_logging
from shared.metrics import EventMetrics
from shared.mongo import make_mongo_client, mongo_reachable, wait_for_mongo
from shared.problems import Problem
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

StartupHook = Callable[[], Awaitable[None]]
SHUTDOWN_GRACE_SECONDS = 5.0
# A caller's X-Request-ID is kept (it ties the audit log to a gateway's logs) when it looks
# like an id; anything else is replaced, so a header cannot smuggle text into the log.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _field(error: Any) -> str:
    if error["type"] == FORBIDDEN_DATA:  # found anywhere in the body: name where
        return str(error["ctx"]["field"])
    return ".".join(str(p) for p in error["loc"] if p != "body")


class ServiceRuntime:
    def __init__(self, name: str, settings: ServiceSettings, *, title: str, description: str):
        self.name = name
        self.settings = settings
        self.title = title
        self.description = description
        configure_logging(name, settings.log_level)
        self.registry = CollectorRegistry()
        self.metrics = EventMetrics(self.registry)
        self.broker = make_broker(
            settings.kafka_bootstrap_servers, service=name, registry=self.registry
        )
        self.mongo = make_mongo_client(settings.mongodb_uri)
        self.db: AsyncDatabase[dict[str, Any]] = self.mongo[settings.database_name(name)]
        self.inbox = Inbox(self.db)
        self.audit_log = AuditLog(self.db, name)
        self.authenticator = Authenticator(settings)
        self._startup_hooks: list[StartupHook] = [
            self.audit_log.create_indexes,
            self.inbox.create_indexes,
        ]
        self._background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.connected = asyncio.Event()

    # -- wiring --------------------------------------------------------------------------
    def on_startup(self, hook: StartupHook) -> StartupHook:
        """Runs once MongoDB is reachable, before consuming starts (indexes, seed data)."""
        self._startup_hooks.append(hook)
        return hook

    def background(self, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """A long-running task started once the service is connected, cancelled on shutdown."""
        self._background.append(loop)

    def subscribe(
        self,
        topic: str,
        payload: type[PayloadT],
        description: str,
        *,
        wanted: Callable[[PayloadT], bool] | None = None,
    ) -> Callable[[BatchHandler[PayloadT]], BatchHandler[PayloadT]]:
        """The handler gets batches of new, valid events of `topic` (see shared.kafka); with
        `wanted`, only the events whose payload it accepts."""
        return subscribe(
            self.broker,
            topic,
            payload,
            # A consumer group per subscription: one consumer joining never makes the
            # service's other consumers rebalance (a service subscribes to up to ten topics).
            group_id=f"ilteo-{self.name}.{topic}",
            inbox=self.inbox,
            metrics=self.metrics,
            description=description,
            max_records=self.settings.consumer_max_records,
            wanted=wanted,
        )

    def publisher(
        self, topic: str, payload: type[PayloadT], description: str
    ) -> EventPublisher[PayloadT]:
        return publisher_for(
            self.broker, topic, payload, producer=self.name, description=description
        )

    # -- lifecycle -----------------------------------------------------------------------
    async def _connect(self) -> None:
        retry = self.settings.dependency_retry_seconds
        await wait_for_mongo(self.mongo, retry)
        for hook in self._startup_hooks:
            await hook()
        await start_broker(self.broker, self.settings.kafka_bootstrap_servers, retry)
        self.connected.set()
        log.info("%s is connected and consuming", self.name)

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        # The HTTP side comes up at once (healthz answers, readyz says 503) while the
        # dependencies are reached in the background: a service never dies for lack of them.
        connect = asyncio.create_task(self._connect(), name=f"{self.name}-connect")
        tasks: list[asyncio.Task[None]] = []

        async def start_background() -> None:
            await self.connected.wait()
            tasks.extend(asyncio.create_task(loop()) for loop in self._background)

        starter = asyncio.create_task(start_background())
        try:
            yield
        finally:
            pending = [connect, starter, *tasks]
            for task in pending:
                task.cancel()
            # Bounded: PyMongo's server selection can swallow a cancellation while the
            # database is unreachable, and shutdown must not hang on that.
            await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_SECONDS)
            await self.broker.stop()
            await self.mongo.close()

    async def ready(self) -> dict[str, bool]:
        kafka = self.connected.is_set() and await broker_reachable(self.broker)
        mongo = await mongo_reachable(self.mongo)
        return {"kafka": kafka, "mongodb": mongo}

    # -- HTTP ----------------------------------------------------------------------------
    def http_app(self, version: str = "1.0.0") -> FastAPI:
        app = FastAPI(
            title=self.title,
            description=self.description,
            version=version,
            lifespan=self._lifespan,
        )
        app.add_middleware(BodySizeLimit)  # 413 over HTTP_MAX_BODY_BYTES (shared/limits.py)
        # What the dependencies of shared.auth and shared.audit find on every request.
        app.state.authenticator = self.authenticator
        app.state.audit_log = self.audit_log
        asyncapi = AsyncAPI(
            self.broker,
            title=f"{self.title} — events",
            version=version,
            description=self.description,
        )

        @app.exception_handler(RequestValidationError)
        async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
            # Name the field and the problem; never echo the input (it may be personal data).
            problems = [{"field": _field(e), "problem": e["msg"]} for e in error.errors()]
            return JSONResponse(status_code=422, content={"detail": problems})

        @app.exception_handler(Problem)
        async def problem(_: Request, error: Problem) -> JSONResponse:
            return JSONResponse(
                status_code=error.status,
                content={"detail": [{"field": error.field, "problem": error.problem}]},
                headers=getattr(error, "headers", None),  # 401: WWW-Authenticate: Bearer
            )

        @app.middleware("http")
        async def request_id(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            given = request.headers.get("x-request-id", "")
            request.state.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
            response = await call_next(request)
            response.headers["X-Request-ID"] = request.state.request_id
            return response

        @app.get("/healthz", tags=["operations"])
        async def healthz() -> dict[str, str]:
            return {"status": "ok"}

        @app.get("/readyz", tags=["operations"])
        async def readyz() -> JSONResponse:
            checks = await self.ready()
            ok = all(checks.values())
            return JSONResponse(
                status_code=200 if ok else 503,
                content={"status": "ready" if ok else "not ready", **checks},
            )

        @app.get("/metrics", tags=["operations"])
        async def metrics() -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        @app.get("/asyncapi", tags=["docs"], response_class=HTMLResponse)
        async def asyncapi_html() -> str:
            return get_asyncapi_html(asyncapi.to_specification())

        @app.get("/asyncapi.json", tags=["docs"])
        async def asyncapi_json() -> Any:
            return asyncapi.to_specification().to_jsonable()

        app.include_router(audit_routes())
        return app
