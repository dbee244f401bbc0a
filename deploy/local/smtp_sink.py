"""An SMTP server that keeps every message it receives, for local runs and tests.

Why: notify sends e-mail over plain SMTP (contracts.md, "E-mail"). Testing that against a
real SMTP server shows what a mail server actually receives: the envelope, the encoded
headers, the MIME parts. Messages are never delivered anywhere; they are stored:

    <dir>/<n>.eml         the raw message as received (open it in any mail client)
    <dir>/messages.jsonl  one JSON line per message: message_id (the Message-ID header),
                          to (the envelope recipients), from (the From header), subject
                          (decoded), text (the decoded text/plain part), html (the decoded
                          text/html part or null), received_at (ISO 8601, UTC)

Run: python -m deploy.local.smtp_sink --port 1025 --dir .local/run/data/mail
The log shows one line per message, with the recipient masked: no personal data in logs.
"""

from __future__ import annotations

import argparse
import email
import json
import logging
import signal
import threading
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller

from shared.masking import mask_email

log = logging.getLogger("smtp-sink")


class MailStore:
    """Writes each message as <n>.eml plus a line in messages.jsonl (numbering survives
    restarts, so a second run never overwrites the first run's mail)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.stem) for p in directory.glob("*.eml") if p.stem.isdigit()]
        self._next = max(numbers, default=0) + 1
        self._lock = threading.Lock()

    def save(self, raw: bytes, recipients: list[str]) -> dict[str, Any]:
        # SMTP carries CRLF line ends; the record shows the text as written (LF), the .eml
        # file keeps the bytes exactly as received. Parsed with the `email` package's compat32
        # classes, which read the same MIME at a fraction of the CPU of its newer API: a
        # call-opening burst sends thousands of e-mails a minute, and the sink shares the
        # machine with the services it stands beside.
        message = email.message_from_bytes(raw.replace(b"\r\n", b"\n"))
        record: dict[str, Any] = {
            "message_id": _header(message, "Message-ID"),
            "to": list(recipients),
            "from": _header(message, "From"),
            "subject": _header(message, "Subject"),
            "text": _part(message, "plain"),
            "html": _part(message, "html"),
            "received_at": datetime.now(UTC).isoformat(),
        }
        with self._lock:
            number = self._next
            self._next += 1
            (self.directory / f"{number}.eml").write_bytes(raw)
            record["file"] = f"{number}.eml"
            with (self.directory / "messages.jsonl").open("a", encoding="utf-8") as lines:
                lines.write(json.dumps(record, ensure_ascii=False) + "\n")
        return record


def _header(message: Message, name: str) -> str | None:
    """The header's value, RFC 2047 encoded words decoded and folding undone."""
    value = message.get(name)
    if value is None:
        return None
    return str(make_header(decode_header(str(value))))


def _part(message: Message, subtype: str) -> str | None:
    """The decoded text of the message's first text/<subtype> part."""
    for part in message.walk():
        if part.get_content_type() != f"text/{subtype}":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return None
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return None


class StoringHandler:
    """aiosmtpd handler: accept every message and store it."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        try:
            record = self.store.save(raw, [str(r) for r in envelope.rcpt_tos])
        except Exception:  # a store failure is the sink's problem: say so, the client retries
            log.exception("could not store a message")
            return "451 Requested action aborted: local error in processing"
        recipients = ", ".join(mask_email(r) for r in record["to"])
        log.info(
            "stored %s for %s (Message-ID %s)", record["file"], recipients, record["message_id"]
        )
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.smtp_sink", description=__doc__)
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dir", type=Path, required=True, help="where messages are stored")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # aiosmtpd's own logger names senders and recipients in clear at DEBUG/INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    controller = Controller(
        StoringHandler(MailStore(args.dir)),
        hostname=args.host,
        port=args.port,
        enable_SMTPUTF8=True,
        decode_data=False,
        server_hostname="smtp-sink.local",
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    controller.start()
    log.info("listening on %s:%d, storing into %s", args.host, args.port, args.dir)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        controller.stop()
        log.info("stopped")


if __name__ == "__main__":
    main()
