"""Personal data at rest: sealed field by field, with keyed hashes for equality lookups
(docs/decisions/0006).

A citizen's name, phone number, e-mail address and birth date are stored only as
`pd1.<key id>.<nonce + ciphertext, base64url>`: AES-256-GCM with a random 96-bit nonce, the
associated data binding the value to where it belongs (`context`, e.g.
`recruitment/application/<id>/phone`), so a sealed value copied into another field or another
citizen's record does not open. The key id travels with the value: keys rotate by adding a new
active key, and what was sealed under an older one still opens as long as that key stays in the
ring. Where a store must find a record by such a value, it keeps `lookup_hash(value)` beside
the sealed value: HMAC-SHA256 under a key of its own, equal for equal values and useless to
anyone without the key.

Configuration (environment, or an env file named by `PERSONAL_DATA_KEYS_FILE`):

- `PERSONAL_DATA_KEYS`: `kid1:<base64 of 32 bytes>,kid2:<...>` (every key that may still open)
- `PERSONAL_DATA_ACTIVE_KEY`: the key id new values are sealed with (default: the last listed)
- `PERSONAL_DATA_HASH_KEY`: base64 of at least 32 bytes, for the keyed hashes
- `PERSONAL_DATA_RETENTION_DAYS`: how long after a program ends its personal data is kept
  (each service has its own default)

There is no fallback: a service that has no keys refuses to start (`MissingKeys`), so personal
data is never written in the clear because a variable was forgotten. `python -m
shared.personal_data new-key-file PATH` writes a file with fresh keys (the local stack and the
compose file do this once); `... add-key PATH` adds a new active key to one (rotation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "pd1"
HASH_PREFIX = "h1"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # no dots: the sealed form is dot-separated


class PersonalDataError(Exception):
    """Base of this module's errors. Messages never carry the personal data itself."""


class MissingKeys(PersonalDataError):
    """The service has no (usable) keys configured: it must not start."""


class CannotOpen(PersonalDataError):
    """A sealed value does not open: tampered with, moved to another field, or sealed under a
    key that is no longer in the ring."""


class PersonalDataSettings(BaseSettings):
    """The keys and the retention period, from the environment (see the module docstring).
    Composable into a service's settings, or read on its own with `load()`."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    personal_data_keys: SecretStr = SecretStr("")
    personal_data_active_key: str = ""
    personal_data_hash_key: SecretStr = SecretStr("")
    # An env file holding the three variables above (a mounted secret; the local stack's
    # generated file). Variables set in the environment itself take precedence.
    personal_data_keys_file: str = ""
    # None: the service's own default (see its privacy use cases).
    personal_data_retention_days: int | None = None

    @classmethod
    def load(cls) -> PersonalDataSettings:
        settings = cls()
        if settings.personal_data_keys_file:
            path = Path(settings.personal_data_keys_file)
            if not path.is_file():
                raise MissingKeys(f"PERSONAL_DATA_KEYS_FILE={path} does not exist")
            settings = cls(_env_file=path)
        return settings


def _decode_key(encoded: str, *, what: str, at_least: int, at_most: int) -> bytes:
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MissingKeys(f"{what} is not base64") from None
    if not at_least <= len(raw) <= at_most:
        raise MissingKeys(f"{what} must be {at_least} bytes (it is {len(raw)})")
    return raw


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeyRing:
    """Seals and opens personal data with the configured keys; one AESGCM object per key,
    made once, so sealing costs a nonce and one AES-GCM pass (intake seals four fields of
    each of thousands of applications a minute)."""

    def __init__(self, keys: Mapping[str, bytes], active: str, hash_key: bytes) -> None:
        if not keys:
            raise MissingKeys("no personal data key configured (PERSONAL_DATA_KEYS)")
        for kid, key in keys.items():
            if not _KEY_ID.match(kid):
                raise MissingKeys(f"key id {kid!r} must be 1-32 of A-Z a-z 0-9 _ -")
            if len(key) != KEY_BYTES:
                raise MissingKeys(f"key {kid} must be {KEY_BYTES} bytes (it is {len(key)})")
        if active not in keys:
            raise MissingKeys(f"the active key {active!r} is not among PERSONAL_DATA_KEYS")
        if len(hash_key) < KEY_BYTES:
            raise MissingKeys(f"PERSONAL_DATA_HASH_KEY must be at least {KEY_BYTES} bytes")
        if any(hmac.compare_digest(hash_key, key) for key in keys.values()):
            raise MissingKeys("PERSONAL_DATA_HASH_KEY must differ from the encryption keys")
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}
        self._active = active
        self._hash_key = hash_key

    @classmethod
    def from_settings(cls, settings: PersonalDataSettings | None = None) -> KeyRing:
        """The ring of the configuration; `MissingKeys` (say what is missing) if there is
        none: a service calls this while it is wired, so it fails before it starts."""
        settings = settings or PersonalDataSettings.load()
        listed = settings.personal_data_keys.get_secret_value().strip()
        if not listed:
            raise MissingKeys(
                "PERSONAL_DATA_KEYS is not set: personal data is never stored unencrypted. "
                "Set PERSONAL_DATA_KEYS, PERSONAL_DATA_HASH_KEY (and PERSONAL_DATA_ACTIVE_KEY) "
                "or PERSONAL_DATA_KEYS_FILE; `python -m shared.personal_data new-key-file PATH` "
                "makes a file with fresh keys."
            )
        keys: dict[str, bytes] = {}
        for entry in listed.split(","):
            kid, sep, encoded = entry.strip().partition(":")
            if not sep:
                raise MissingKeys("PERSONAL_DATA_KEYS entries are 'key id:base64 key'")
            if kid in keys:
                raise MissingKeys(f"key id {kid!r} is listed twice in PERSONAL_DATA_KEYS")
            keys[kid] = _decode_key(
                encoded, what=f"key {kid}", at_least=KEY_BYTES, at_most=KEY_BYTES
            )
        hash_encoded = settings.personal_data_hash_key.get_secret_value()
        if not hash_encoded.strip():
            raise MissingKeys("PERSONAL_DATA_HASH_KEY is not set")
        hash_key = _decode_key(
            hash_encoded, what="PERSONAL_DATA_HASH_KEY", at_least=KEY_BYTES, at_most=1024
        )
        active = settings.personal_data_active_key or list(keys)[-1]
        return cls(keys, active, hash_key)

    @property
    def active_key_id(self) -> str:
        return self._active

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    def seal(self, value: str, *, context: str) -> str:
        """`value` encrypted under the active key, bound to `context` (where it is stored)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._active].encrypt(
            nonce, value.encode("utf-8"), _associated(self._active, context)
        )
        return f"{PREFIX}.{self._active}.{_b64(nonce + sealed)}"

    def open_(self, sealed: str, *, context: str) -> str:
        """The value sealed by `seal(value, context=context)`, under any key of the ring;
        `CannotOpen` if it was altered, belongs to another context or its key is gone."""
        prefix, _, rest = sealed.partition(".")
        kid, _, body = rest.partition(".")
        if prefix != PREFIX or not kid or not body:
            raise CannotOpen(f"not a sealed value (expected {PREFIX}.<key id>.<data>)")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise CannotOpen(f"sealed under key {kid!r}, which is not in the ring")
        try:
            raw = _unb64(body)
            plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(kid, context))
        except (InvalidTag, ValueError, binascii.Error):
            raise CannotOpen(f"a value sealed under key {kid!r} does not open here") from None
        return plain.decode("utf-8")

    def lookup_hash(self, value: str, *, purpose: str = "") -> str:
        """A keyed hash of `value` for equality lookups (same value, same hash). `purpose`
        keeps the hashes of different kinds apart (a phone number and an e-mail address).
        Callers normalise first (digits only, lower-cased address) so equal means equal."""
        message = f"{purpose}\x00{value}".encode()
        digest = hmac.new(self._hash_key, message, hashlib.sha256).digest()
        return f"{HASH_PREFIX}.{_b64(digest)}"

    def seal_optional(self, value: str | None, *, context: str) -> str | None:
        return None if value is None else self.seal(value, context=context)

    def open_optional(self, sealed: str | None, *, context: str) -> str | None:
        return None if sealed is None else self.open_(sealed, context=context)


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(f"{PREFIX}.")


def _associated(kid: str, context: str) -> bytes:
    # The version and key id are authenticated too: a rewritten header does not open.
    return f"{PREFIX}.{kid}.{context}".encode()


# -- key material ------------------------------------------------------------------------------
def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def new_key_id() -> str:
    """A key id that says when the key was made (sortable), unique within a second."""
    return datetime.now(UTC).strftime("k%Y%m%d%H%M%S") + secrets.token_hex(2)


def new_key_environment() -> dict[str, str]:
    """Fresh keys as the environment variables that configure them (tests, a first run)."""
    kid = new_key_id()
    return {
        "PERSONAL_DATA_KEYS": f"{kid}:{new_key()}",
        "PERSONAL_DATA_ACTIVE_KEY": kid,
        "PERSONAL_DATA_HASH_KEY": new_key(),
    }


def new_key_ring() -> KeyRing:
    """A ring of fresh keys (tests)."""
    environment = new_key_environment()
    return KeyRing.from_settings(
        PersonalDataSettings(
            personal_data_keys=SecretStr(environment["PERSONAL_DATA_KEYS"]),
            personal_data_active_key=environment["PERSONAL_DATA_ACTIVE_KEY"],
            personal_data_hash_key=SecretStr(environment["PERSONAL_DATA_HASH_KEY"]),
        )
    )


def _write_private(path: Path, variables: Mapping[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"{name}={value}\n" for name, value in variables.items())
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(text)
    temporary.replace(path)


def _read_env_file(path: Path) -> dict[str, str]:
    variables: dict[str, str] = {}
    for line in path.read_text("ascii").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            variables[name.strip()] = value.strip()
    return variables


def ensure_key_file(path: Path) -> bool:
    """Write a key file with fresh keys unless one exists; whether it wrote one. Readable by
    its owner only. For local runs: production keys come from the secret store."""
    if path.exists():
        return False
    _write_private(path, new_key_environment())
    return True


def add_key(path: Path) -> str:
    """Rotate: add a fresh key to the file's ring and make it the active one; older keys stay
    so that what they sealed still opens. Returns the new key id."""
    variables = _read_env_file(path)
    kid = new_key_id()
    listed = variables.get("PERSONAL_DATA_KEYS", "")
    variables["PERSONAL_DATA_KEYS"] = ",".join(filter(None, (listed, f"{kid}:{new_key()}")))
    variables["PERSONAL_DATA_ACTIVE_KEY"] = kid
    _write_private(path, variables)
    return kid


def main(argv: list[str]) -> int:
    usage = "usage: python -m shared.personal_data {new-key-file|add-key} PATH"
    if len(argv) != 2 or argv[0] not in {"new-key-file", "add-key"}:
        print(usage, file=sys.stderr)
        return 2
    path = Path(argv[1])
    if argv[0] == "new-key-file":
        print(f"{path}: {'written' if ensure_key_file(path) else 'exists, left as it is'}")
    else:
        print(f"{path}: key {add_key(path)} added and active")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
