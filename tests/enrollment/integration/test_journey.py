"""The citizen's journey after selection, on the real broker and database: an offer declined
and the seat promoted to the waitlist (and the SMS that tells the next citizen), an offer left
to expire by the clock, a withdrawal after the start, completion at 80% attendance but not at
79.9%, the survey answered once, the regular course a one-day class leads to, and the catalog
searched by district.

The enrollment service runs with a clock the tests move forward (days pass in a moment); notify
runs beside it to send the SMS."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from services.enrollment.app import EnrollmentSettings
from services.enrollment.app import create_app as create_enrollment
from services.notify.app import NotifySettings
from services.notify.app import create_app as create_notify
from services.notify.domain.wording import korean_datetime
from shared.clock import now_kst
from shared.topics import InternalTopic, Topic
from tests.conftest import (
    MovableClock,
    Stack,
    as_citizen,
    collect,
    daytime_clock,
    publish_many,
    running,
    wait_for,
)
from tests.e2e.applicants import applicant, submitted_event
from tests.enrollment.integration.helpers import about, add_cohort, cohort_body, data_of, decided

pytestmark = pytest.mark.integration


class Journey:
    def __init__(self, stack: Stack, enrollment: httpx.AsyncClient, clock: MovableClock) -> None:
        self.stack = stack
        self.enrollment = enrollment
        self.clock = clock
        self.people: dict[str, dict[str, Any]] = {}  # by application id

    async def decisions(
        self, call_id: str, selected: Sequence[str], waitlisted: Sequence[str] = ()
    ) -> None:
        """The named applications are selected (ranks in order) and waitlisted (positions in
        order); notify learns each citizen's contact from their application first."""
        for application_id in [*selected, *waitlisted]:
            self.people[application_id] = applicant()
        contacts = [
            (a, submitted_event(call_id, self.people[a], application_id=a)[1])
            for a in [*selected, *waitlisted]
        ]
        await publish_many(self.stack.bootstrap_servers, Topic.APPLICATION_SUBMITTED, contacts)
        events = [
            decided(call_id, a, self.applicant(a), decision="selected", rank=n)
            for n, a in enumerate(selected, 1)
        ] + [
            decided(call_id, a, self.applicant(a), decision="waitlisted", position=n)
            for n, a in enumerate(waitlisted, 1)
        ]
        for topic in {t for t, _, _ in events}:
            await publish_many(
                self.stack.bootstrap_servers, topic, [(k, v) for t, k, v in events if t == topic]
            )

    def applicant(self, application_id: str) -> str:
        return str(self.people[application_id]["applicant_id"])

    def citizen(self, application_id: str) -> dict[str, str]:
        """The token of the citizen who made the application."""
        return as_citizen(self.applicant(application_id))

    async def offer(self, application_id: str, status: str = "offered") -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            url = f"/applicants/{self.applicant(application_id)}/offers"
            offers = (await self.enrollment.get(url, headers=self.citizen(application_id))).json()[
                "offers"
            ]
            found = [o for o in offers if o["application_id"] == application_id]
            return found[0] if found and found[0]["status"] == status else None

        found = await wait_for(probe, within=30)
        assert found, f"{application_id} has no {status} offer"
        return dict(found)

    async def answer(self, application_id: str, verb: str) -> httpx.Response:
        offer = await self.offer(application_id)
        url = f"/applicants/{self.applicant(application_id)}/offers/{offer['offer_id']}/{verb}"
        return await self.enrollment.post(url, headers=self.citizen(application_id))

    async def accept_all(self, *application_ids: str) -> None:
        for application_id in application_ids:
            assert (await self.answer(application_id, "accept")).status_code == 202
        for application_id in application_ids:
            await self.offer(application_id, "confirmed")

    async def roster(self, cohort_id: str) -> dict[str, Any]:
        answer = await self.enrollment.get(f"/cohorts/{cohort_id}/roster")
        assert answer.status_code == 200, answer.text
        roster: dict[str, Any] = answer.json()
        return roster

    async def events(self, topic: Topic, cohort_id: str, expected: int) -> list[dict[str, Any]]:
        records = await collect(
            self.stack.bootstrap_servers,
            [topic.value],
            about({cohort_id}),
            expected=expected,
            within=30,
            settle=2.0,
        )
        return [data_of(r) for r in records]

    def sms_to(self, application_id: str) -> list[dict[str, Any]]:
        digits = self.people[application_id]["phone"].replace("-", "")
        return [m for m in self.stack.sms.messages() if m["to"] == digits]


@pytest.fixture(scope="module")
def clock() -> MovableClock:
    return MovableClock(now_kst())


@pytest.fixture(scope="module")
async def journey(stack: Stack, clock: MovableClock) -> AsyncIterator[Journey]:
    enrollment = create_enrollment(
        EnrollmentSettings(
            **stack.service_env("enrollment"),
            deadline_check_seconds=0.3,
            gauge_refresh_seconds=0.5,
            cohort_refresh_seconds=1.0,
        ),
        clock=clock,
    )
    notify = create_notify(NotifySettings(**stack.notify_env()), clock=daytime_clock())
    async with running(enrollment) as client, running(notify):
        yield Journey(stack, client, clock)


def tag() -> str:
    return uuid.uuid4().hex[:8]


async def test_a_decline_promotes_the_first_on_the_waitlist_who_is_told_by_sms(
    journey: Journey,
) -> None:
    t = tag()
    cohort_id = await add_cohort(journey.enrollment, cohort_body(t, journey.clock(), capacity=2))
    s1, s2, w1, w2 = (f"{t}-{n}" for n in ("s1", "s2", "w1", "w2"))
    await journey.decisions(f"call-{t}", [s1, s2], [w1, w2])

    assert (await journey.answer(s1, "decline")).status_code == 202
    [promoted] = await journey.events(Topic.WAITLIST_PROMOTED, cohort_id, 1)
    assert promoted["application_id"] == w1
    offer = await journey.offer(w1)
    assert offer["offer_id"] == promoted["offer_id"]
    # the seat offered is told by SMS, with its deadline, in notify's Korean
    deadline = korean_datetime(datetime.fromisoformat(promoted["offer_deadline"]))
    sms = await wait_for(
        lambda: [m for m in journey.sms_to(w1) if "추가 선정" in m["text"]], settle=2
    )
    assert len(sms) == 1
    assert "서울시 기술교육원 글로벌조리에 결원이 생겨 추가 선정되셨습니다." in sms[0]["text"]
    assert f"{deadline}까지 등록 의사를 알려 주십시오." in sms[0]["text"]

    declined = await journey.offer(s1, "declined")
    again = await journey.enrollment.post(
        f"/applicants/{journey.applicant(s1)}/offers/{declined['offer_id']}/accept",
        headers=journey.citizen(s1),
    )
    assert again.status_code == 409
    assert again.json()["detail"][0]["field"] == "offer_id"

    await journey.accept_all(w1, s2)
    [filled] = await journey.events(Topic.COHORT_FILLED, cohort_id, 1)
    assert filled["capacity"] == 2
    confirmed = await journey.events(Topic.ENROLLMENT_CONFIRMED, cohort_id, 2)
    assert sorted(c["application_id"] for c in confirmed) == sorted([w1, s2])
    assert {c["campus_address"] for c in confirmed} == {"서울 용산구 한남대로 136"}
    [withdrawn] = await journey.events(Topic.ENROLLMENT_WITHDRAWN, cohort_id, 1)
    assert (withdrawn["enrollment_id"], withdrawn["reason"]) == (s1, "본인 요청에 따른 등록 포기")
    fill = (await journey.enrollment.get(f"/cohorts/{cohort_id}/fill")).json()
    assert (fill["full"], fill["times_filled"], fill["fill_ratio"]) == (True, 1, 1.0)
    roster = await journey.roster(cohort_id)
    assert {s["application_id"]: s["status"] for s in roster["seats"]} == {
        s1: "declined",
        s2: "confirmed",
        w1: "confirmed",
        w2: "waiting",
    }


async def test_an_offer_left_unanswered_expires_by_the_clock_and_the_seat_moves_on(
    journey: Journey,
) -> None:
    t = tag()
    body = cohort_body(t, journey.clock(), capacity=1, offer_hours=24)
    cohort_id = await add_cohort(journey.enrollment, body)
    s1, w1 = f"{t}-s1", f"{t}-w1"
    await journey.decisions(f"call-{t}", [s1], [w1])
    offer = await journey.offer(s1)
    await asyncio.sleep(1.0)  # checks before the deadline change nothing
    assert (await journey.offer(s1))["status"] == "offered"

    journey.clock.move_to(journey.clock() + timedelta(hours=24, minutes=1))
    [promoted] = await journey.events(Topic.WAITLIST_PROMOTED, cohort_id, 1)
    assert promoted["application_id"] == w1
    [withdrawn] = await journey.events(Topic.ENROLLMENT_WITHDRAWN, cohort_id, 1)
    assert (withdrawn["enrollment_id"], withdrawn["reason"]) == (s1, "등록 기한 경과")
    late = await journey.enrollment.post(
        f"/applicants/{journey.applicant(s1)}/offers/{offer['offer_id']}/accept",
        headers=journey.citizen(s1),
    )
    assert late.status_code == 409


async def test_a_withdrawal_after_the_start_frees_the_seat_only_while_late_entry_is_open(
    journey: Journey,
) -> None:
    t = tag()
    start = (journey.clock() + timedelta(days=2)).date()
    closed, still_open = f"{t}a", f"{t}b"
    for name, late_entry_days in ((closed, 1), (still_open, 30)):
        body = cohort_body(
            name, journey.clock(), capacity=1, start=start, late_entry_days=late_entry_days
        )
        await add_cohort(journey.enrollment, body)
        await journey.decisions(f"call-{name}", [f"{name}-s1"], [f"{name}-w1"])
        await journey.accept_all(f"{name}-s1")

    journey.clock.move_to(journey.clock() + timedelta(days=4))  # the course started 2 days ago
    for name in (closed, still_open):
        enrollment_id = f"{name}-s1"
        answer = await journey.enrollment.post(
            f"/applicants/{journey.applicant(enrollment_id)}/enrollments/{enrollment_id}/withdraw",
            headers=journey.citizen(enrollment_id),
        )
        assert answer.status_code == 202, answer.text
        [withdrawn] = await journey.events(Topic.ENROLLMENT_WITHDRAWN, f"cohort-{name}", 1)
        assert (withdrawn["enrollment_id"], withdrawn["reason"]) == (enrollment_id, "본인 요청")

    [promoted] = await journey.events(Topic.WAITLIST_PROMOTED, f"cohort-{still_open}", 1)
    assert promoted["application_id"] == f"{still_open}-w1"
    roster = await journey.roster(f"cohort-{closed}")
    assert {s["application_id"]: s["status"] for s in roster["seats"]} == {
        f"{closed}-s1": "withdrawn",
        f"{closed}-w1": "waiting",  # too late to join: nobody is offered the seat
    }
    assert await journey.events(Topic.WAITLIST_PROMOTED, f"cohort-{closed}", 0) == []


def attendance_csv(rows: dict[str, int], sessions: int) -> str:
    lines = ["enrollment_id,session,present"]
    for enrollment_id, attended in rows.items():
        lines += [
            f"{enrollment_id},{n},{1 if n <= attended else 0}" for n in range(1, sessions + 1)
        ]
    return "\n".join(lines) + "\n"


async def test_completion_takes_80_percent_attendance_not_79_9_and_the_survey_is_answered_once(
    journey: Journey,
) -> None:
    t = tag()
    start = (journey.clock() + timedelta(days=1)).date()
    body = cohort_body(t, journey.clock(), capacity=2, start=start, days=1, sessions=1000)
    cohort_id = await add_cohort(journey.enrollment, body)
    full, short = f"{t}-full", f"{t}-short"
    await journey.decisions(f"call-{t}", [full, short])
    await journey.accept_all(full, short)

    upload = await journey.enrollment.post(
        f"/cohorts/{cohort_id}/attendance.csv",
        content=attendance_csv({full: 800, short: 799}, 1000).encode(),
        headers={"content-type": "text/csv"},
    )
    assert upload.status_code == 200, upload.text
    assert upload.json()["recorded"] == 2000
    bad = await journey.enrollment.post(
        f"/cohorts/{cohort_id}/attendance.csv",
        content=f"enrollment_id,session,present\n{full},1001,1\n".encode(),
        headers={"content-type": "text/csv"},
    )
    assert (bad.status_code, bad.json()["detail"][0]["field"]) == (422, "rows[2].session")
    too_early = await journey.enrollment.post(f"/cohorts/{cohort_id}/completion")
    assert (too_early.status_code, too_early.json()["detail"][0]["field"]) == (409, "end_date")

    journey.clock.move_to(journey.clock() + timedelta(days=3))
    answer = await journey.enrollment.post(f"/cohorts/{cohort_id}/completion")
    assert (answer.status_code, answer.json()["judged"]) == (202, 2)
    [completed] = await journey.events(Topic.ENROLLMENT_COMPLETED, cohort_id, 1)
    assert completed["enrollment_id"] == full
    assert completed["survey_url"] == f"https://jobs.seoul.example/survey/{full}"
    assert completed["recommended_course"] is None
    # Where and when it was taught, for placement's rates per campus and term.
    half = 1 if start.month <= 6 else 2
    assert (completed["campus_id"], completed["term"]) == (
        body["campus"]["id"],
        f"{start.year}-H{half}",
    )
    roster = await wait_for(
        lambda: _statuses(journey, cohort_id, {full: "completed", short: "dropped_out"})
    )
    assert roster, "completion did not reach the roster"
    lines = {
        a["enrollment_id"]: a
        for a in (await journey.enrollment.get(f"/cohorts/{cohort_id}/attendance")).json()
    }
    assert (lines[full]["rate"], lines[full]["meets_rate"]) == (0.8, True)
    assert (lines[short]["rate"], lines[short]["meets_rate"]) == (0.799, False)
    sms = await wait_for(lambda: [m for m in journey.sms_to(full) if "수료" in m["text"]])
    assert completed["survey_url"] in sms[0]["text"]

    graduate = journey.citizen(full)
    form = (await journey.enrollment.get(f"/surveys/{full}", headers=graduate)).json()
    assert [q["id"] for q in form["questions"]] == [
        "content",
        "instructor",
        "facilities",
        "job_support",
        "overall",
    ]
    answers = {"content": 5, "instructor": 4, "facilities": 4, "job_support": 3, "overall": 5}
    first = await journey.enrollment.post(
        f"/surveys/{full}", json=answers | {"comment": "좋았습니다"}, headers=graduate
    )
    assert first.status_code == 201, first.text
    second = await journey.enrollment.post(f"/surveys/{full}", json=answers, headers=graduate)
    assert (second.status_code, second.json()["detail"][0]["field"]) == (409, "enrollment_id")
    not_completed = await journey.enrollment.post(
        f"/surveys/{short}", json=answers, headers=journey.citizen(short)
    )
    assert not_completed.status_code == 409
    out_of_scale = await journey.enrollment.post(
        f"/surveys/{full}", json=answers | {"overall": 6}, headers=graduate
    )
    assert (out_of_scale.status_code, out_of_scale.json()["detail"][0]["field"]) == (422, "overall")
    results = (await journey.enrollment.get(f"/survey-results?scope=cohort&id={cohort_id}")).json()
    assert results == [{"scope": "cohort", "id": cohort_id, "responses": 1, "averages": answers}]
    gauge = f'ilteo_survey_average_score{{id="{cohort_id}",question="overall",scope="cohort"}} 5.0'
    assert await wait_for(lambda: _metrics_with(journey, gauge)), "survey averages not exported"
    program = "technical-training-institutes"
    dropped = f'ilteo_enrollment_endings_total{{outcome="dropped_out",program="{program}"}}'
    assert any(
        line.startswith(dropped)
        for line in (await journey.enrollment.get("/metrics")).text.splitlines()
    )


async def _statuses(journey: Journey, cohort_id: str, expected: dict[str, str]) -> bool:
    roster = await journey.roster(cohort_id)
    return {s["application_id"]: s["status"] for s in roster["seats"]} == expected


async def _metrics_with(journey: Journey, line: str) -> bool:
    return line in (await journey.enrollment.get("/metrics")).text.splitlines()


async def test_a_completed_one_day_class_recommends_the_regular_course_it_leads_to(
    journey: Journey,
) -> None:
    t = tag()
    now = journey.clock()
    regular = cohort_body(f"{t}-regular", now, capacity=25, call_open=True)
    await add_cohort(journey.enrollment, regular)
    start = (now + timedelta(days=1)).date()
    taster = cohort_body(
        t,
        now,
        capacity=1,
        start=start,
        days=0,
        sessions=1,
        course={
            "id": "one-day-korean-cooking",
            "name": "한식 조리 실습 원데이 클래스",
            "field": "cooking",
            "leads_to": {
                "program_id": "technical-training-institutes",
                "course_id": "global-cooking",
                "course_name": "글로벌조리",
            },
        },
    )
    cohort_id = await add_cohort(journey.enrollment, taster)
    a = f"{t}-s1"
    await journey.decisions(f"call-{t}", [a])
    await journey.accept_all(a)
    marked = await journey.enrollment.post(
        f"/cohorts/{cohort_id}/sessions/1/attendance",
        json={"marks": [{"enrollment_id": a, "present": True}]},
    )
    assert marked.status_code == 200, marked.text
    journey.clock.move_to(journey.clock() + timedelta(days=2))
    assert (await journey.enrollment.post(f"/cohorts/{cohort_id}/completion")).status_code == 202

    [completed] = await journey.events(Topic.ENROLLMENT_COMPLETED, cohort_id, 1)
    assert completed["recommended_course"] == {
        "course_name": "글로벌조리",
        "cohort_id": regular["id"],
        "campus_name": "중부기술교육원",
        "start_date": regular["start_date"],
        "call_id": regular["call"]["id"],
    }
    mine = (await journey.enrollment.get(f"/applicants/{journey.applicant(a)}/enrollments")).json()
    [enrolled] = mine["enrollments"]
    assert enrolled["status"] == "completed"
    assert enrolled["recommended_course"]["call_id"] == regular["call"]["id"]


async def test_the_catalog_puts_the_nearest_cohorts_first_and_names_a_wrong_field(
    journey: Journey,
) -> None:
    t = tag()
    now = journey.clock()
    start = (now + timedelta(days=400)).date().replace(day=15)
    campuses = {
        "bukbu": ("북부기술교육원", "서울 노원구 덕릉로70가길 81", "노원구"),
        "jungbu": ("중부기술교육원", "서울 용산구 한남대로 136", "용산구"),
        "nambu": ("남부기술교육원", "경기 군포시 고산로 589", "군포시"),
    }
    for campus, (name, address, district) in campuses.items():
        body = cohort_body(
            f"{t}-{campus}",
            now,
            capacity=25,
            start=start,
            call_open=True,
            campus={"id": campus, "name": name, "address": address, "district": district},
        )
        await add_cohort(journey.enrollment, body)
    month = start.strftime("%Y-%m")

    async def campuses_from(district: str) -> list[str]:
        answer = await journey.enrollment.get(
            "/cohorts", params={"district": district, "start_month": month, "field": "cooking"}
        )
        assert answer.status_code == 200, answer.text
        return [c["cohort"]["campus"]["id"] for c in answer.json() if t in c["cohort"]["id"]]

    assert await campuses_from("노원구") == ["bukbu", "jungbu", "nambu"]
    assert await campuses_from("금천구") == ["nambu", "jungbu", "bukbu"]
    listing = (
        await journey.enrollment.get(
            "/cohorts", params={"district": "금천구", "start_month": month}
        )
    ).json()
    assert listing[0]["call_status"] == "open" and listing[0]["distance_km"] > 0

    wrong = await journey.enrollment.get("/cohorts", params={"district": "해운대구"})
    assert (wrong.status_code, wrong.json()["detail"][0]["field"]) == (422, "district")
    body = cohort_body(f"{t}-x", now, capacity=1)
    body["campus"] = body["campus"] | {"district": "해운대구"}
    refused = await journey.enrollment.post("/cohorts", json=body)
    assert (refused.status_code, refused.json()["detail"][0]["field"]) == (422, "campus.district")
    taken = await journey.enrollment.post(
        "/cohorts", json=cohort_body(f"{t}-bukbu", now, capacity=1)
    )
    assert (taken.status_code, taken.json()["detail"][0]["field"]) == (409, "id")


async def test_a_hire_at_a_pathway_partner_is_offered_the_next_cohort_of_the_linked_course(
    journey: Journey,
) -> None:
    """Employment first, study later (선취업-후학습): placement's `study-pathway.opened` gives
    the hired citizen an offer in the linked course's next cohort, call or no call."""
    t = tag()
    course = {"id": f"course-{t}", "name": "스마트제조 재직자 과정", "field": "manufacturing"}
    now = journey.clock()
    started, next_one, later = (
        cohort_body(
            f"{t}-{n}", now, capacity=5, start=(now + timedelta(days=d)).date(), course=course
        )
        for n, d in (("started", -3), ("next", 10), ("later", 40))
    )
    for body in (started, next_one, later):
        await add_cohort(journey.enrollment, body)
    person, employment_id = f"hired-{t}", f"emp-{t}"
    pathway = {
        "event_id": str(uuid.uuid4()),
        "event_type": InternalTopic.STUDY_PATHWAY_OPENED.value,
        "occurred_at": now.isoformat(),
        "producer": "placement",
        "correlation_id": employment_id,
        "data": {
            "applicant_id": person,
            "employment_id": employment_id,
            "employer": {"business_no": "123-45-67890", "name": "(주)서울정밀"},
            "job_title": "생산기술",
            "start_date": now.date().isoformat(),
            "program_id": started["program_id"],
            "course_id": course["id"],
            "course_name": course["name"],
            "opened_at": now.isoformat(),
        },
    }
    await publish_many(
        journey.stack.bootstrap_servers,
        InternalTopic.STUDY_PATHWAY_OPENED,
        [(person, json.dumps(pathway, ensure_ascii=False).encode())],
    )

    async def offers() -> list[dict[str, Any]]:
        url = f"/applicants/{person}/offers"
        answer = await journey.enrollment.get(url, headers=as_citizen(person))
        return list(answer.json()["offers"])

    found = await wait_for(offers, within=30)
    assert [(o["application_id"], o["cohort_id"], o["status"]) for o in found] == [
        (f"pathway-{employment_id}", next_one["id"], "offered")
    ]
