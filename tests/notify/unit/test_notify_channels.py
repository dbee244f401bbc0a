"""Consented channels with a contact, and the SMS-to-e-mail fallback."""

import pytest

from services.notify.domain.channels import Channel, email_fallback, plan_channels
from shared.contracts.recruitment import Consents

BOTH = Consents(sms=True, email=True)
PHONE, EMAIL = "01012345678", "hong@example.com"


@pytest.mark.parametrize(
    ("consents", "phone", "email", "channels"),
    [
        (BOTH, PHONE, EMAIL, ["sms", "email"]),
        (Consents(sms=True, email=False), PHONE, EMAIL, ["sms"]),
        (Consents(sms=False, email=True), PHONE, EMAIL, ["email"]),
        (Consents(sms=False, email=False), PHONE, EMAIL, []),
        (BOTH, PHONE, None, ["sms"]),
        (BOTH, None, EMAIL, ["email"]),
        (BOTH, "", "", []),
    ],
)
def test_only_consented_channels_with_a_contact_are_planned(
    consents: Consents, phone: str | None, email: str | None, channels: list[Channel]
) -> None:
    assert plan_channels(consents, phone, email) == channels


def test_a_failed_sms_falls_back_to_email() -> None:
    assert email_fallback("sms", BOTH, EMAIL, planned=["sms"]) == "email"


def test_no_fallback_when_email_is_already_being_sent_for_the_event() -> None:
    assert email_fallback("sms", BOTH, EMAIL, planned=["sms", "email"]) is None


@pytest.mark.parametrize(
    ("consents", "email"),
    [(Consents(sms=True, email=False), EMAIL), (BOTH, None)],
)
def test_no_fallback_without_email_consent_and_address(
    consents: Consents, email: str | None
) -> None:
    assert email_fallback("sms", consents, email, planned=["sms"]) is None


def test_a_failed_email_has_nowhere_to_fall_back_to() -> None:
    assert email_fallback("email", BOTH, EMAIL, planned=["email"]) is None
