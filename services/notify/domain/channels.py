"""Which channels a citizen is reached on: only those they consented to and gave us."""

from collections.abc import Collection

from shared.contracts.notify import NotificationChannel as Channel
from shared.contracts.recruitment import Consents

__all__ = ["Channel", "email_fallback", "plan_channels"]


def plan_channels(consents: Consents, phone: str | None, email: str | None) -> list[Channel]:
    """Every consented channel with a contact, SMS first. Empty: the citizen is not messaged."""
    channels: list[Channel] = []
    if consents.sms and phone:
        channels.append("sms")
    if consents.email and email:
        channels.append("email")
    return channels


def email_fallback(
    failed: Channel, consents: Consents, email: str | None, planned: Collection[Channel]
) -> Channel | None:
    """The channel to try after `failed` failed permanently for an event, or None.

    Only SMS falls back, to e-mail, and only when e-mail is consented and known. When e-mail
    was already planned for the event the citizen gets that message, so the fallback is a
    no-op. Even if a caller ignored this, the fallback's notification id is the planned
    e-mail's (same event, same channel), so the citizen would still get one e-mail.
    """
    if failed != "sms" or "email" in planned:
        return None
    return "email" if consents.email and email else None
