"""Personal data sealed at rest (shared/personal_data.py): keys are made here, at run time."""

import base64
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from shared.personal_data import (
    CannotOpen,
    KeyRing,
    MissingKeys,
    PersonalDataSettings,
    add_key,
    ensure_key_file,
    is_sealed,
    new_key,
    new_key_environment,
    new_key_ring,
)

PHONE = "010-1234-5678"
CONTEXT = "recruitment/application/a-1/phone"
RING = new_key_ring()


def ring_of(keys: dict[str, str], active: str, hash_key: str) -> KeyRing:
    return KeyRing.from_settings(
        PersonalDataSettings(
            personal_data_keys=SecretStr(",".join(f"{k}:{v}" for k, v in keys.items())),
            personal_data_active_key=active,
            personal_data_hash_key=SecretStr(hash_key),
        )
    )


def test_a_sealed_value_opens_to_what_was_sealed_and_shows_nothing_of_it() -> None:
    sealed = RING.seal(PHONE, context=CONTEXT)

    assert RING.open_(sealed, context=CONTEXT) == PHONE
    assert sealed.startswith(f"pd1.{RING.active_key_id}.")
    assert is_sealed(sealed)
    assert "1234" not in sealed and "5678" not in sealed


def test_the_same_value_sealed_twice_looks_different_each_time() -> None:
    assert RING.seal(PHONE, context=CONTEXT) != RING.seal(PHONE, context=CONTEXT)


@pytest.mark.parametrize("byte", [0, 11, 12, -1], ids=["nonce", "nonce end", "text", "tag"])
def test_a_sealed_value_with_any_byte_changed_does_not_open(byte: int) -> None:
    header, _, body = RING.seal(PHONE, context=CONTEXT).rpartition(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[byte] ^= 0x01
    tampered = f"{header}.{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"

    with pytest.raises(CannotOpen):
        RING.open_(tampered, context=CONTEXT)


def test_a_sealed_value_moved_to_another_field_or_record_does_not_open() -> None:
    sealed = RING.seal(PHONE, context=CONTEXT)

    with pytest.raises(CannotOpen):
        RING.open_(sealed, context="recruitment/application/a-1/name")
    with pytest.raises(CannotOpen):
        RING.open_(sealed, context="recruitment/application/a-2/phone")


def test_a_rewritten_key_id_does_not_open_even_with_both_keys_in_the_ring() -> None:
    old, new = new_key(), new_key()
    ring = ring_of({"old": old, "new": new}, "new", new_key())
    body = ring.seal(PHONE, context=CONTEXT).split(".", 2)[2]

    with pytest.raises(CannotOpen):
        ring.open_(f"pd1.old.{body}", context=CONTEXT)


def test_what_is_not_a_sealed_value_is_refused_without_echoing_it() -> None:
    with pytest.raises(CannotOpen) as refused:
        RING.open_(PHONE, context=CONTEXT)
    assert PHONE not in str(refused.value)


def test_values_sealed_under_an_old_key_still_open_after_a_new_key_becomes_active() -> None:
    old_key, hash_key = new_key(), new_key()
    before = ring_of({"k2025": old_key}, "k2025", hash_key)
    sealed_before = before.seal(PHONE, context=CONTEXT)

    after = ring_of({"k2025": old_key, "k2026": new_key()}, "k2026", hash_key)
    sealed_after = after.seal(PHONE, context=CONTEXT)

    assert after.open_(sealed_before, context=CONTEXT) == PHONE
    assert sealed_after.startswith("pd1.k2026.")
    with pytest.raises(CannotOpen):  # the old ring never learned the new key
        before.open_(sealed_after, context=CONTEXT)


def test_the_active_key_defaults_to_the_last_one_listed() -> None:
    ring = ring_of({"a": new_key(), "b": new_key()}, "", new_key())
    assert ring.active_key_id == "b"


def test_a_keyed_hash_is_stable_and_depends_on_the_key_and_the_purpose() -> None:
    hash_key = new_key()
    one = ring_of({"k": new_key()}, "k", hash_key)
    same_hash_key = ring_of({"other": new_key()}, "other", hash_key)
    other_hash_key = ring_of({"k": new_key()}, "k", new_key())

    assert one.lookup_hash("01012345678", purpose="phone") == same_hash_key.lookup_hash(
        "01012345678", purpose="phone"
    )
    assert one.lookup_hash("01012345678", purpose="phone") != other_hash_key.lookup_hash(
        "01012345678", purpose="phone"
    )
    assert one.lookup_hash("01012345678", purpose="phone") != one.lookup_hash(
        "01012345678", purpose="email"
    )
    assert one.lookup_hash("01012345678") != one.lookup_hash("01012345679")
    assert "12345678" not in one.lookup_hash("01012345678")


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({}, "PERSONAL_DATA_KEYS is not set"),
        ({"personal_data_keys": SecretStr("k1:" + new_key())}, "PERSONAL_DATA_HASH_KEY"),
        (
            {
                "personal_data_keys": SecretStr("k1:" + base64.b64encode(b"short").decode()),
                "personal_data_hash_key": SecretStr(new_key()),
            },
            "32 bytes",
        ),
        (
            {
                "personal_data_keys": SecretStr("k1:" + new_key()),
                "personal_data_active_key": "k9",
                "personal_data_hash_key": SecretStr(new_key()),
            },
            "active key",
        ),
        (
            {
                "personal_data_keys": SecretStr("k1:not base64!"),
                "personal_data_hash_key": SecretStr(new_key()),
            },
            "base64",
        ),
    ],
)
def test_missing_or_unusable_keys_are_a_clear_error_not_a_silent_plaintext_mode(
    settings: dict[str, object], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in new_key_environment():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PERSONAL_DATA_KEYS_FILE", raising=False)

    with pytest.raises(MissingKeys, match=says):
        KeyRing.from_settings(PersonalDataSettings(**settings))  # type: ignore[arg-type]


def test_a_key_file_configures_the_ring_and_a_rotation_keeps_old_values_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in new_key_environment():
        monkeypatch.delenv(name, raising=False)
    key_file = tmp_path / "keys.env"
    monkeypatch.setenv("PERSONAL_DATA_KEYS_FILE", str(key_file))
    assert ensure_key_file(key_file) is True
    assert ensure_key_file(key_file) is False  # a second run keeps the keys
    assert key_file.stat().st_mode & 0o077 == 0
    first = KeyRing.from_settings()
    sealed = first.seal(PHONE, context=CONTEXT)

    new_kid = add_key(key_file)
    rotated = KeyRing.from_settings()

    assert rotated.active_key_id == new_kid != first.active_key_id
    assert rotated.open_(sealed, context=CONTEXT) == PHONE
    assert rotated.lookup_hash(PHONE) == first.lookup_hash(PHONE)


@given(value=st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)))
def test_any_korean_text_opens_to_itself(value: str) -> None:
    assert RING.open_(RING.seal(value, context="any/field"), context="any/field") == value


@given(value=st.text())
def test_any_text_at_all_opens_to_itself(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates are not text a citizen can type
        return
    assert RING.open_(RING.seal(value, context="c"), context="c") == value
