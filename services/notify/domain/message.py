"""The text a citizen receives, and whether it travels as an SMS or an LMS.

Korean carriers count SMS length in EUC-KR bytes: 90 bytes for an SMS (45 Hangul
syllables), up to 2,000 bytes for an LMS. A message is never truncated: a text that does not
fit, or cannot be written in EUC-KR at all, is a template error.
"""

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
    length = 0
    bad: list[str] = []
    for character in text:
        try:
            encoded = character.encode(ENCODING)
        except UnicodeEncodeError:
            bad.append(character)
            continue
        if len(encoded) > 2:
            bad.append(character)
        length += len(encoded)
    if bad:
        raise NotEncodable("".join(dict.fromkeys(bad)))
    return length


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
