"""Personal data never reaches a log line or an operator screen unmasked."""

import re

_PHONE = re.compile(r"(?<!\d)(01[016789])[- ]?(\d{3,4})[- ]?(\d{4})(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_phone(phone: str) -> str:
    """010-1234-5678 -> 010-****-5678"""
    return _PHONE.sub(lambda m: f"{m.group(1)}-****-{m.group(3)}", phone)


def mask_email(email: str) -> str:
    """hong@example.com -> h***@example.com"""
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", email)


def mask_personal_data(text: str) -> str:
    """Mask every phone number and e-mail address found in free text."""
    return mask_email(mask_phone(text))
