"""The audit log: every operator action, who did it, what, when and in which request.

Entries are only ever inserted, never updated or deleted: the collection is the record, and
an insert is also the one write FerretDB makes atomic. Auditors read it with GET /audit (a
read scans the collection on FerretDB; fine for an auditor, never on a hot path). Entries
name ids (calls, cohorts, reports), never a citizen's contact data.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.auth import Auditor, Principal, authenticated
from shared.clock import now_kst

COLLECTION = "audit_log"
Detail = str | int | float | bool | None


class AuditEntry(BaseModel):
    entry_id: str
    service: str
    at: datetime
    actor: str = Field(description="the token's subject")
    roles: list[str]
    action: str = Field(examples=["call.opened", "attendance.recorded"])
    target: str = Field(description="what the action was on: a call, cohort, report id")
    request_id: str
    details: dict[str, Detail] = {}


class AuditLog:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], service: str) -> None:
        self._entries = db[COLLECTION]
        self.service = service

    async def create_indexes(self) -> None:
        await self._entries.create_index([("at", ASCENDING)])

    async def append(self, entry: AuditEntry) -> None:
        document = entry.model_dump()
        document["_id"] = document.pop("entry_id")
        await self._entries.insert_one(document)

    async def read(
        self, *, actor: str | None = None, action: str | None = None, limit: int = 1000
    ) -> list[AuditEntry]:
        """Newest first."""
        query: dict[str, Any] = {}
        if actor is not None:
            query["actor"] = actor
        if action is not None:
            query["action"] = action
        cursor = self._entries.find(query).sort("at", -1).limit(limit)
        entries = []
        async for document in cursor:
            document["entry_id"] = document.pop("_id")
            at: datetime = document["at"]
            document["at"] = at if at.tzinfo else at.replace(tzinfo=UTC)
            entries.append(AuditEntry.model_validate(document))
        return entries


class AuditTrail:
    """The audit log bound to one request: its caller and request id."""

    def __init__(self, log: AuditLog, principal: Principal, request_id: str) -> None:
        self._log = log
        self._principal = principal
        self._request_id = request_id

    async def record(self, action: str, target: str, **details: Detail) -> None:
        await self._log.append(
            AuditEntry(
                entry_id=uuid.uuid4().hex,
                service=self._log.service,
                at=now_kst(),
                actor=self._principal.subject,
                roles=sorted(self._principal.roles),
                action=action,
                target=target,
                request_id=self._request_id,
                details=details,
            )
        )


def request_id_of(request: Request) -> str:
    """Set by the runtime's middleware for every request (shared.service)."""
    found: str | None = getattr(request.state, "request_id", None)
    return found or uuid.uuid4().hex


async def audit_trail(
    request: Request, principal: Annotated[Principal, Depends(authenticated)]
) -> AuditTrail:
    log: AuditLog = request.app.state.audit_log
    return AuditTrail(log, principal, request_id_of(request))


# What an operator route takes to record its action after it succeeded.
Audit = Annotated[AuditTrail, Depends(audit_trail)]


def audit_routes() -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get("/audit")
    async def audit_log(
        request: Request,
        _: Auditor,
        actor: str | None = None,
        action: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[AuditEntry]:
        """Operator actions of this service, newest first (auditors only)."""
        log: AuditLog = request.app.state.audit_log
        return await log.read(actor=actor, action=action, limit=limit)

    return router
