"""Web applications get a receipt number (접수번호) a citizen can read out on the phone."""

import re
from datetime import datetime

from services.notify.adapters.templates import default_library
from services.notify.domain.samples import sample
from services.recruitment.domain.intake import new_receipt_number
from shared.clock import SEOUL
from shared.envelope import find_forbidden_data

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=SEOUL)


def test_a_receipt_number_names_the_day_and_is_unguessable() -> None:
    numbers = {new_receipt_number(NOW) for _ in range(1000)}

    assert len(numbers) == 1000
    assert all(re.fullmatch(r"W261123-[A-HJ-NP-Z]{8}", number) for number in numbers)


def test_a_receipt_number_never_reads_as_a_resident_registration_number() -> None:
    """The receipt number is the application's id and correlation id: one that looked like a
    resident registration number (the day, a hyphen, seven digits) would be refused by every
    consumer, and the citizen's accepted application would end in the dead-letter topic."""
    numbers = [new_receipt_number(NOW) for _ in range(20_000)]

    assert [number for number in numbers if find_forbidden_data(number)] == []


def test_the_receipt_with_a_web_receipt_number_fits_one_sms() -> None:
    context = sample("application_received").context() | {
        "application_id": new_receipt_number(NOW),
        "citizen_name": "남궁민수",  # a four-syllable name: the longest common case
    }

    sms = default_library().render_sms("application_received", context)

    assert context["application_id"] in sms.text
    assert sms.kind == "SMS", sms.byte_length
