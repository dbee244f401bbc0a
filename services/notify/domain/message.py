"""The text a citizen receives, and whether it travels as an SMS or an LMS.

Korean carriers count SMS length in EUC-KR bytes: 90 bytes for an SMS (45 Hangul
syllables), up to 2,000 bytes for an LMS. A message is never truncated: a text that does not
fit, or whose template text cannot be written in EUC-KR, is a template error. The data put
into a text (a call title typed by an operator, a citizen's name) is made writable instead
(`sms_writable`): a citizen should not miss a message over an em dash.
"""

import unicodedata
from dataclasses import dataclass
from typing import Literal

SmsKind = Literal["SMS", "LMS"]

SMS_MAX_BYTES = 90
LMS_MAX_BYTES = 2000
# Gateways cut LMS subjects beyond 40 bytes; ours are short enough never to be cut.
LMS_SUBJECT_MAX_BYTES = 40
ENCODING = "euc_kr"


class TemplateError(Exception):
    """A template and its data cannot produce a message that may be sent.

    Retrying does not help: the notification fails permanently (and an SMS may fall back to
    e-mail).
    """


class NotEncodable(TemplateError):
    def __init__(self, characters: str) -> None:
        super().__init__(f"not encodable in EUC-KR: {characters!r}")
        self.characters = characters


class MessageTooLong(TemplateError):
    def __init__(self, length: int) -> None:
        super().__init__(f"{length} bytes in EUC-KR, more than an LMS holds ({LMS_MAX_BYTES})")
        self.length = length


def euc_kr_length(text: str) -> int:
    """Length in EUC-KR bytes; raises NotEncodable for characters outside KS X 1001.

    Python's codec writes the 8,822 Hangul syllables missing from KS X 1001 (똠, 햏, ...) as
    8-byte jamo sequences that handsets show as loose letters, so those count as not
    encodable too.
    """
    bad = [character for character in text if not _writable(character)]
    if bad:
        raise NotEncodable("".join(dict.fromkeys(bad)))
    return len(text.encode(ENCODING))


# Typography people type that KS X 1001 lacks, written as a handset can show it.
_SMS_SUBSTITUTES = str.maketrans(
    {
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",  # minus sign
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",  # no-break space
        "\u200b": "",  # zero-width space
    }
)
UNWRITABLE = "?"


def sms_writable(value: str) -> str:
    """`value` as EUC-KR can carry it: composed Hangul, typography substituted, and what is
    still outside KS X 1001 (a rare syllable such as 똠, an emoji) shown as "?". The e-mail
    part carries the exact text."""
    text = unicodedata.normalize("NFC", value).translate(_SMS_SUBSTITUTES)
    return "".join(c if _writable(c) else UNWRITABLE for c in text)


def _writable(character: str) -> bool:
    try:
        return len(character.encode(ENCODING)) <= 2
    except UnicodeEncodeError:
        return False


def choose_sms_kind(text: str) -> SmsKind:
    length = euc_kr_length(text)
    if length <= SMS_MAX_BYTES:
        return "SMS"
    if length <= LMS_MAX_BYTES:
        return "LMS"
    raise MessageTooLong(length)


@dataclass(frozen=True)
class SmsText:
    kind: SmsKind
    text: str
    subject: str | None  # LMS only: handsets show it as the message title

    @classmethod
    def of(cls, text: str, lms_subject: str) -> "SmsText":
        kind = choose_sms_kind(text)
        return cls(kind, text, lms_subject if kind == "LMS" else None)

    @property
    def byte_length(self) -> int:
        return euc_kr_length(self.text)


@dataclass(frozen=True)
class EmailText:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class RenderedMessage:
    """Every channel's text for one template: what a preview shows an operator."""

    template: str
    sms: SmsText
    email: EmailText
