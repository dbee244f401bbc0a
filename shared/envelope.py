"""The event envelope every message on every topic carries (contracts.md, "Event envelope")."""

import re
import uuid
from typing import Any, Generic, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

DataT = TypeVar("DataT", bound=BaseModel)

# Derived event ids live in their own namespace so they never collide with partner uuid4s.
_EVENT_NAMESPACE = uuid.UUID("6c0b8f4e-6f1a-4d8e-9d0b-0f3f1a7e2b10")

# 주민등록번호: six birth-date digits, an optional hyphen, a gender/century digit 1-8 and six
# more, in ASCII digits as the number is written. Phone numbers (010-1234-5678) and business
# numbers (123-45-67890) do not match.
_RRN = re.compile(r"(?<![0-9])[0-9]{6}-?[1-8][0-9]{6}(?![0-9])")
_RRN_KEYS = {"rrn", "resident_registration_number", "resident_number", "jumin", "jumin_no"}
# What a JSON text holding one must show somewhere, found with C-speed byte operations
# rather than a regex (which cost more than the walk it spares): a run of 13 digits, with or
# without the hyphen; one of the keys; or an escape of an ASCII character (could spell either).
_ALL_DIGITS_AS_9 = bytes.maketrans(b"0123456789", b"9999999999")
_DIGIT_RUNS = (b"9" * 13, b"9" * 6 + b"-" + b"9" * 7)
_KEYS_QUOTED = tuple(f'"{key}"'.encode() for key in _RRN_KEYS)
# Validation context: the raw JSON was searched and holds none, no need to walk the parse.
SEARCHED_FOR_FORBIDDEN_DATA = {"searched_for_forbidden_data": True}


# The error type of a refused resident registration number; its context names the field.
FORBIDDEN_DATA = "forbidden_data"


def reject_forbidden_data(raw: Any) -> Any:
    """A `mode="before"` validator body: refuse the whole input if it hides one anywhere.

    A pydantic error of its own type, not an exception of ours: a ValidationError keeps an
    exception raised in a validator, its traceback and every frame under it, and pydantic-core
    does not show the garbage collector that link. So a ValidationError kept in a reference
    cycle kept all of it for good (the kit lost a whole batch of memory per forbidden message;
    pydantic-xml#222 shows the same in plain pydantic)."""
    where = find_forbidden_data(raw)
    if where is not None:
        raise PydanticCustomError(
            FORBIDDEN_DATA,
            "{field}: resident registration numbers (주민등록번호) are never accepted",
            {"field": where},
        )
    return raw


def may_hold_forbidden_data(raw: bytes) -> bool:
    """A quick look at the raw JSON: False means it surely holds no resident number."""
    if b"\\u00" in raw:
        return True
    digits = raw.translate(_ALL_DIGITS_AS_9)
    if any(run in digits for run in _DIGIT_RUNS):
        return True
    lowered = raw.lower()
    return any(key in lowered for key in _KEYS_QUOTED)


def find_forbidden_data(value: Any, path: str = "") -> str | None:
    """Return the path of the first resident registration number in `value`, else None."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).lower() in _RRN_KEYS:
                return where
            found = find_forbidden_data(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_forbidden_data(item, f"{path}[{index}]")
            if found:
                return found
    elif isinstance(value, str) and _RRN.search(value):
        return path or "<root>"
    return None


def redact_forbidden_data(raw: bytes) -> bytes:
    """Mask resident registration numbers digit for digit, so nothing else moves."""
    text = raw.decode("utf-8", errors="surrogateescape")
    masked = _RRN.sub(lambda m: re.sub(r"\d", "*", m.group()), text)
    return masked.encode("utf-8", errors="surrogateescape")


def derive_event_id(*parts: str) -> str:
    """A stable event id for an event caused by another one.

    Re-running a handler after a crash republishes the same ids, so consumers drop the copy.
    """
    return str(uuid.uuid5(_EVENT_NAMESPACE, "\x1f".join(parts)))


class Envelope(BaseModel, Generic[DataT]):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(min_length=1, max_length=128)
    event_type: str
    schema_version: Literal[1] = 1
    occurred_at: AwareDatetime
    producer: str = Field(min_length=1, max_length=64)
    correlation_id: str = Field(min_length=1, max_length=128)
    causation_id: str | None = None
    data: DataT

    @model_validator(mode="before")
    @classmethod
    def _reject_resident_numbers(cls, raw: Any, info: ValidationInfo) -> Any:
        if info.context == SEARCHED_FOR_FORBIDDEN_DATA:
            return raw
        return reject_forbidden_data(raw)
