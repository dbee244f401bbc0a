"""JSON log lines carrying the correlation id, with phone numbers and e-mail addresses masked."""

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from shared.masking import mask_personal_data

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

# LogRecord attributes that are not "extra" fields given by the caller.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


@contextmanager
def correlated(value: str | None) -> Iterator[None]:
    """Every log line inside carries this correlation id (the citizen's application id)."""
    token = correlation_id.set(value)
    try:
        yield
    finally:
        correlation_id.reset(token)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        # Lines about one event name it; a line about a batch or the service names none.
        if (correlated_with := correlation_id.get()) is not None:
            line["correlation_id"] = correlated_with
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and key != "color_message":
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        # Masking the whole rendered line catches personal data wherever it hides:
        # message text, extra fields, exception messages.
        return mask_personal_data(json.dumps(line, ensure_ascii=False, default=str))


def configure_logging(service: str, level: str = "INFO") -> None:
    root = logging.getLogger()
    # Idempotent, and leaves other handlers alone (pytest's log capture is one).
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter(service))
        root.addHandler(handler)
    root.setLevel(level.upper())
    # Library chatter that says nothing an operator needs at INFO.
    for noisy in ("aiokafka", "pymongo", "aiohttp", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
