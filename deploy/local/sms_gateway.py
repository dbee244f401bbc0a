"""A real HTTP SMS gateway that speaks the contract's API, stores what it accepts, and can
misbehave on purpose.

Why: notify must survive a gateway that throttles, fails, hangs and sees retries
(contracts.md, "SMS gateway"). Tests that run notify against this server exercise the real
HTTP client, the real status codes and the real retry loop; nothing is mocked.

API (the contract):
    POST /send   Authorization: Bearer <token>   (no check when the token is empty)
                 {"message_id", "to", "from", "type": "SMS" | "LMS", "subject"?, "text"}
                 200 accepted (also for a message_id already accepted: stored once)
                 400 invalid request, JSON {"error", "field", "message"} naming the field
                 401 wrong or missing token
                 429 / 503 / 504 injected faults: try again later
Extras for people and tests:
    GET /messages  the distinct messages accepted, oldest first (JSON list)
    GET /stats     counters per outcome
    GET /healthz   200 when serving

Validation: `to` is 10-11 digits starting with 01; `from` is 8-11 digits; `text` must be
writable in EUC-KR (KS X 1001, two bytes per Hangul syllable) and fit 90 bytes for an SMS or
2,000 bytes for an LMS; only an LMS carries a `subject`.

Faults (all off by default; a faulty answer never stores the message, so only a retry
delivers it): --fail-rate (503), --throttle-rate (429), --timeout-rate (hold the request
--timeout-seconds, longer than the client's timeout, then 504), --seed for a repeatable
sequence, --permanent-fail-numbers (these `to` numbers always get 400).

Stored in <dir>/messages.jsonl, one line per distinct message_id (reloaded at start).
Log lines mask the phone number.

Run: python -m deploy.local.sms_gateway --port 8025 --dir D [--token T] [faults]
(the token may also come from the SMS_GATEWAY_TOKEN environment variable).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.masking import mask_phone

log = logging.getLogger("sms-gateway")

SMS_MAX_BYTES = 90
LMS_MAX_BYTES = 2000
_TO = re.compile(r"01\d{8,9}")
_FROM = re.compile(r"\d{8,11}")


@dataclass(frozen=True)
class Faults:
    """Fault injection; the three rates are drawn from one random number per request."""

    fail_rate: float = 0.0
    throttle_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 10.0
    seed: int | None = None
    permanent_fail_numbers: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        rates = (self.fail_rate, self.throttle_rate, self.timeout_rate)
        if any(not 0.0 <= rate <= 1.0 for rate in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must be within 0..1 and add up to at most 1")


class InvalidRequest(Exception):
    def __init__(self, field_name: str, message: str, error: str = "invalid_request") -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message
        self.error = error


def euc_kr_length(text: str) -> int:
    """Bytes in EUC-KR, the way carriers count; InvalidRequest for characters outside
    KS X 1001 (Python writes missing Hangul syllables as 8-byte jamo sequences, which
    handsets show as loose letters, so those are refused too).

    Deliberately not imported from services.notify: this stands in for the carrier's gateway,
    and a test against it proves something only if it judges the text independently."""
    length = 0
    bad: list[str] = []
    for character in text:
        try:
            encoded = character.encode("euc_kr")
        except UnicodeEncodeError:
            bad.append(character)
            continue
        if len(encoded) > 2:
            bad.append(character)
        length += len(encoded)
    if bad:
        shown = "".join(dict.fromkeys(bad))
        raise InvalidRequest("text", f"characters not writable in EUC-KR: {shown!r}")
    return length


def validate(body: Any) -> dict[str, Any]:
    """The accepted message as stored, or InvalidRequest naming the first bad field."""
    if not isinstance(body, dict):
        raise InvalidRequest("body", "the body must be a JSON object")
    message_id = body.get("message_id")
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > 200:
        raise InvalidRequest("message_id", "required: a non-empty string of at most 200 chars")
    to = body.get("to")
    if not isinstance(to, str) or not _TO.fullmatch(to):
        raise InvalidRequest("to", "must be 10 or 11 digits starting with 01, e.g. 01012345678")
    sender = body.get("from")
    if not isinstance(sender, str) or not _FROM.fullmatch(sender):
        raise InvalidRequest("from", "must be the registered sender number: 8 to 11 digits")
    kind = body.get("type")
    if kind not in ("SMS", "LMS"):
        raise InvalidRequest("type", 'must be "SMS" or "LMS"')
    subject = body.get("subject")
    if subject is not None:
        if not isinstance(subject, str):
            raise InvalidRequest("subject", "must be a string")
        if kind == "SMS" and subject:
            raise InvalidRequest("subject", "only an LMS carries a subject")
    text = body.get("text")
    if not isinstance(text, str) or not text:
        raise InvalidRequest("text", "required: a non-empty string")
    length = euc_kr_length(text)
    limit = SMS_MAX_BYTES if kind == "SMS" else LMS_MAX_BYTES
    if length > limit:
        raise InvalidRequest(
            "text", f"{length} bytes in EUC-KR; an {kind} holds at most {limit} bytes"
        )
    return {
        "message_id": message_id,
        "to": to,
        "from": sender,
        "type": kind,
        "subject": subject or None,
        "text": text,
        "bytes": length,
    }


class MessageStore:
    """Distinct accepted messages, in memory and in messages.jsonl (reloaded at start)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "messages.jsonl"
        self.messages: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    record = json.loads(line)
                    self.messages.setdefault(record["message_id"], record)

    def add(self, record: dict[str, Any]) -> bool:
        """Store the message; False when its message_id was accepted before."""
        if record["message_id"] in self.messages:
            return False
        record = {**record, "received_at": datetime.now(UTC).isoformat()}
        self.messages[record["message_id"]] = record
        with self.path.open("a", encoding="utf-8") as lines:
            lines.write(json.dumps(record, ensure_ascii=False) + "\n")
        return True


def _error(status: int, error: str, field_name: str | None, message: str) -> JSONResponse:
    headers = {"Retry-After": "1"} if status in (429, 503) else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(
        {"error": error, "field": field_name, "message": message}, status, headers=headers
    )


def create_app(store_dir: Path, token: str = "", faults: Faults | None = None) -> FastAPI:
    faults = faults or Faults()
    store = MessageStore(store_dir)
    rng = random.Random(faults.seed)
    stats: Counter[str] = Counter()
    app = FastAPI(title="Local SMS gateway sink", version="1")
    expected_auth = f"Bearer {token}".encode()

    @app.post("/send")
    async def send(request: Request) -> JSONResponse:
        stats["requests"] += 1
        if token and not hmac.compare_digest(
            request.headers.get("authorization", "").encode(), expected_auth
        ):
            stats["unauthorized"] += 1
            return _error(401, "unauthorized", "Authorization", "wrong or missing bearer token")
        try:
            try:
                body = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError):
                raise InvalidRequest("body", "not valid JSON") from None
            record = validate(body)
        except InvalidRequest as invalid:
            stats["invalid"] += 1
            log.info("400 %s: %s", invalid.field, invalid.message)
            return _error(400, invalid.error, invalid.field, invalid.message)
        masked = mask_phone(record["to"])
        if record["to"] in faults.permanent_fail_numbers:
            stats["rejected_number"] += 1
            log.info("400 permanently rejected number %s (%s)", masked, record["message_id"])
            return _error(400, "rejected_number", "to", "this number cannot receive messages")
        draw = rng.random()
        if draw < faults.fail_rate:
            stats["injected_503"] += 1
            log.info("503 injected for %s to %s", record["message_id"], masked)
            return _error(503, "unavailable", None, "gateway unavailable (injected); retry")
        draw -= faults.fail_rate
        if draw < faults.throttle_rate:
            stats["injected_429"] += 1
            log.info("429 injected for %s to %s", record["message_id"], masked)
            return _error(429, "throttled", None, "too many requests (injected); retry")
        draw -= faults.throttle_rate
        if draw < faults.timeout_rate:
            stats["injected_timeout"] += 1
            log.info("timeout injected for %s to %s", record["message_id"], masked)
            await asyncio.sleep(faults.timeout_seconds)
            return _error(504, "timeout", None, "upstream timeout (injected); retry")
        if store.add(record):
            stats["accepted"] += 1
            log.info(
                "accepted %s %s to %s (%d bytes)",
                record["type"], record["message_id"], masked, record["bytes"],
            )  # fmt: skip
            return JSONResponse({"message_id": record["message_id"], "status": "accepted"}, 200)
        stats["duplicates"] += 1
        log.info("duplicate %s to %s: already accepted", record["message_id"], masked)
        return JSONResponse({"message_id": record["message_id"], "status": "duplicate"}, 200)

    @app.get("/messages")
    async def messages() -> list[dict[str, Any]]:
        return list(store.messages.values())

    @app.get("/stats")
    async def get_stats() -> dict[str, int]:
        return dict(stats)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.sms_gateway")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dir", type=Path, required=True, help="where messages are stored")
    parser.add_argument(
        "--token",
        default=os.environ.get("SMS_GATEWAY_TOKEN", ""),
        help="bearer token demanded (default: $SMS_GATEWAY_TOKEN; empty: no check)",
    )
    parser.add_argument("--fail-rate", type=float, default=0.0, help="fraction answered 503")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="fraction answered 429")
    parser.add_argument(
        "--timeout-rate", type=float, default=0.0, help="fraction held, then answered 504"
    )
    parser.add_argument(
        "--timeout-seconds", type=float, default=10.0, help="how long a timeout holds a request"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault sequence")
    parser.add_argument(
        "--permanent-fail-numbers", default="", help="comma list of `to` numbers answered 400"
    )
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        faults = Faults(
            fail_rate=args.fail_rate,
            throttle_rate=args.throttle_rate,
            timeout_rate=args.timeout_rate,
            timeout_seconds=args.timeout_seconds,
            seed=args.seed,
            permanent_fail_numbers=frozenset(
                n.strip() for n in args.permanent_fail_numbers.split(",") if n.strip()
            ),
        )
    except ValueError as error:
        parser.error(str(error))
    app = create_app(args.dir, args.token, faults)
    log.info(
        "listening on %s:%d, storing into %s (token %s; faults %s)",
        args.host, args.port, args.dir, "required" if args.token else "not checked",
        f"503={faults.fail_rate} 429={faults.throttle_rate} timeout={faults.timeout_rate}",
    )  # fmt: skip
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        # Its own line per message says what matters (masked); uvicorn's would repeat it,
        # at a cost the services sharing this machine in `make bench` pay.
        access_log=False,
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
