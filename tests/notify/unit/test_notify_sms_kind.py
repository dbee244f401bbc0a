"""SMS up to 90 EUC-KR bytes, LMS up to 2,000, never truncated."""

import pytest

from services.notify.domain.catalog import CATALOG, Template
from services.notify.domain.message import (
    LMS_SUBJECT_MAX_BYTES,
    MessageTooLong,
    NotEncodable,
    SmsText,
    choose_sms_kind,
    euc_kr_length,
    sms_writable,
)


def test_hangul_counts_two_bytes_and_ascii_one() -> None:
    assert euc_kr_length("[서울시 일자리]") == 15
    assert euc_kr_length("가a") == 3


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("가" * 45, "SMS"),  # exactly 90 bytes
        ("a" * 90, "SMS"),
        ("가" * 44 + "a" * 3, "LMS"),  # 91 bytes
        ("가" * 1000, "LMS"),  # exactly 2,000 bytes
    ],
)
def test_the_kind_follows_the_euc_kr_length(text: str, kind: str) -> None:
    assert choose_sms_kind(text) == kind


def test_a_text_longer_than_an_lms_is_refused_not_cut() -> None:
    with pytest.raises(MessageTooLong) as raised:
        choose_sms_kind("가" * 1000 + "a")
    assert raised.value.length == 2001


@pytest.mark.parametrize("character", ["똠", "햏", "😀", "•"])
def test_characters_outside_euc_kr_are_refused(character: str) -> None:
    with pytest.raises(NotEncodable) as raised:
        choose_sms_kind(f"[서울시 일자리] 김{character}님, 신청이 접수되었습니다.")
    assert raised.value.characters == character


def test_an_lms_carries_the_templates_subject_and_an_sms_none() -> None:
    assert SmsText.of("가" * 45, "신청 접수 안내").subject is None
    assert SmsText.of("가" * 46, "신청 접수 안내") == SmsText("LMS", "가" * 46, "신청 접수 안내")


@pytest.mark.parametrize("entry", CATALOG.values(), ids=lambda entry: entry.name)
def test_every_lms_subject_is_short_enough_for_the_gateway(entry: Template) -> None:
    assert euc_kr_length(entry.lms_subject) <= LMS_SUBJECT_MAX_BYTES


def test_a_template_with_a_long_lms_subject_is_refused() -> None:
    with pytest.raises(ValueError, match="LMS subject"):
        Template("long", "가" * 21)


@pytest.mark.parametrize(
    ("value", "writable"),
    [
        ("홍길동", "홍길동"),
        ("모집 — 공고", "모집 - 공고"),
        ("‘예시’ “공고”", "'예시' \"공고\""),
        ("김똠", "김?"),
        ("합격 🎉", "합격 ?"),
        ("\u1112\u1169\u11bc", "홍"),  # decomposed Hangul (as some keyboards send it)
        ("①·㈜", "①·㈜"),  # in KS X 1001: kept as typed
    ],
)
def test_data_is_made_writable_in_euc_kr(value: str, writable: str) -> None:
    assert sms_writable(value) == writable
    euc_kr_length(writable)  # raises if anything unwritable were left
