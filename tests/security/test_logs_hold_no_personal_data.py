"""An end-to-end run at DEBUG, every library's logger included (FastStream, aiokafka, PyMongo,
httpx), and not one log line holds a citizen's phone number (in any formatting), e-mail
address or name.

Citizens apply over HTTP and through a partner's event, one with invalid data (the dead-letter
path logs its reason), are screened, told by SMS and e-mail, and read their status and their
notification history: the paths where personal data passes through the services.
"""

import functools
import io
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from services.notify.app import NotifySettings
from services.notify.app import create_app as create_notify
from services.notify.domain.routing import ROUTES
from services.placement.app import PlacementSettings
from services.placement.app import create_app as create_placement
from services.recruitment.app import RecruitmentSettings
from services.recruitment.app import create_app as create_recruitment
from shared.log import JsonFormatter
from shared.topics import Topic, dead_letter_topic
from tests import conftest
from tests.conftest import (
    Stack,
    collect,
    daytime_clock,
    publish,
    running,
    start_at_the_end,
    wait_for,
)
from tests.e2e.applicants import applicant, open_call, submitted_event

pytestmark = pytest.mark.integration

# Names no template, catalog or fixture holds, so a hit can only be a leak.
NAMES = ("남궁보안", "제갈비밀", "황보감춤", "선우숨김")
LIBRARY_LOGGERS = ("aiokafka", "pymongo", "faststream", "httpx", "httpcore", "uvicorn")


def person(n: int, name: str) -> dict[str, Any]:
    return applicant(
        name=name,
        phone=f"010-73{n:02d}-{4000 + n * 111:04d}",
        email=f"hidden.citizen.{uuid.uuid4().hex[:6]}@private-mail.example",
    )


def forms_of(someone: dict[str, Any]) -> list[str]:
    """Every way the person's data could appear in a line: the phone with dashes, spaces,
    dots or none, and in the +82 form; the whole e-mail address and its local part."""
    head, middle, last = someone["phone"].split("-")
    phones = [sep.join((head, middle, last)) for sep in ("-", "", " ", ".")]
    phones.append(f"+82{head[1:]}{middle}{last}")
    phones.append(f"+82-{head[1:]}-{middle}-{last}")
    local = someone["email"].split("@")[0]
    return [someone["name"], someone["email"], local, *phones]


class Lines(logging.Handler):
    """Every record as the services write it: the JSON line of shared.log."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.formatter_ = JsonFormatter("scan")
        self.buffer = io.StringIO()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.buffer.write(self.formatter_.format(record) + "\n")
        self.count += 1

    def lines(self) -> list[str]:
        return self.buffer.getvalue().splitlines()


@pytest.fixture
def every_log_line() -> Iterator[Lines]:
    root = logging.getLogger()
    handler = Lines()
    saved = root.level
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)


def debug_everywhere() -> None:
    # The services' logging set-up quiets the libraries to WARNING: open them all up again.
    logging.getLogger().setLevel(logging.DEBUG)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if logger.level > logging.DEBUG:
            logger.setLevel(logging.DEBUG)


def as_citizen(applicant_id: str) -> dict[str, str]:
    """A citizen's token from the harness (tests/conftest.py), where the APIs want one."""
    mint: Callable[[str], dict[str, str]] | None = getattr(conftest, "as_citizen", None)
    return mint(applicant_id) if mint is not None else {}


def told(stack: Stack, someone: dict[str, Any]) -> int:
    """SMS and e-mails the person got (a receipt and a screening result on each channel)."""
    digits = someone["phone"].replace("-", "")
    sms = [m for m in stack.sms.messages() if m["to"] == digits]
    mail = [m for m in stack.smtp.messages() if someone["email"] in json.dumps(m["to"])]
    return min(len(sms), 2) + min(len(mail), 2)


def told_everything(stack: Stack, someone: dict[str, Any]) -> bool:
    return told(stack, someone) >= 4


async def test_no_log_line_of_an_end_to_end_run_holds_a_phone_an_email_or_a_name(
    stack: Stack, every_log_line: Lines
) -> None:
    recruitment = create_recruitment(
        RecruitmentSettings(**stack.service_env("recruitment"), log_level="DEBUG")
    )
    placement = create_placement(
        PlacementSettings(**stack.service_env("placement"), log_level="DEBUG")
    )
    notify = create_notify(
        NotifySettings(**stack.notify_env(), log_level="DEBUG"), clock=daytime_clock()
    )
    # Notify answers this test's citizens, not first the thousands earlier tests left.
    await start_at_the_end(stack.bootstrap_servers, "notify", list(ROUTES))
    debug_everywhere()
    people = [person(n, name) for n, name in enumerate(NAMES)]
    web, partner, partner_invalid, web_refused = people
    async with running(recruitment) as rec, running(placement), running(notify) as note:
        debug_everywhere()  # again: starting the clients created loggers of their own
        call_id = f"call-{uuid.uuid4().hex[:8]}"
        assert (await rec.post("/calls", json=open_call(call_id))).status_code == 201
        assert (await rec.post(f"/calls/{call_id}/open")).status_code == 200

        # A citizen over HTTP; a partner's event; a partner's event the schema refuses; and
        # an HTTP application refused with 422 (the refusal names the field, not the value).
        answer = await rec.post(
            "/applications",
            json={"call_id": call_id, "applicant": web},
            headers=as_citizen(web["applicant_id"]),
        )
        assert answer.status_code == 202
        web_application = answer.json()["application_id"]
        partner_application, event = submitted_event(call_id, partner)
        await publish(
            stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, event, key=partner_application
        )
        bad_id, bad_event = submitted_event(
            call_id, {**partner_invalid, "birth_date": "not-a-date"}
        )
        await publish(stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, bad_event, key=bad_id)
        refused = await rec.post(
            "/applications",
            json={"call_id": call_id, "applicant": {**web_refused, "birth_date": "2099-13-45"}},
            headers=as_citizen(web_refused["applicant_id"]),
        )
        assert refused.status_code == 422

        # Both valid citizens hear back on both channels; the invalid event is dead-lettered.
        for someone in (web, partner):
            assert await wait_for(functools.partial(told_everything, stack, someone)), "not told"
        dead = await collect(
            stack.bootstrap_servers,
            [dead_letter_topic(Topic.APPLICATION_SUBMITTED)],
            lambda r: r.key == bad_id.encode(),
            expected=3,  # each service that reads the topic refuses it: three groups
            settle=0.5,
        )
        assert len(dead) == 3

        # The citizen reads their status and their notifications.
        own = as_citizen(web["applicant_id"])
        assert (await rec.get(f"/applications/{web_application}", headers=own)).status_code == 200
        history = await note.get(f"/citizens/{web['applicant_id']}/notifications", headers=own)
        assert history.status_code == 200

    lines = every_log_line.lines()
    assert len(lines) > 100, "the run logged too little to prove anything"
    assert any('"level": "DEBUG"' in line and "aiokafka" in line for line in lines)
    # The lines are about these citizens' events: they name the applications, not the people.
    assert any(partner_application in line for line in lines)
    leaks = [
        (form, line[:300])
        for someone in people
        for form in forms_of(someone)
        for line in lines
        if form in line
    ]
    assert not leaks, f"{len(leaks)} leaks, e.g. {leaks[:5]}"
    # And nothing that merely looks like a mobile number, whoever's it is.
    mobile = re.compile(r"(?<!\d)01[016789][- .]?\d{3,4}[- .]?\d{4}(?!\d)")
    unmasked = [line[:300] for line in lines if mobile.search(line)]
    assert not unmasked, unmasked[:5]
