"""Job matching over HTTP, on the real database: an employer posts openings, a graduate known
from a completion gets ranked recommendations, a coordinator refers, and a matching day books
interviews with nobody booked twice at once."""

import uuid
from datetime import datetime

import pytest

from services.placement.app import PlacementSettings, create_app
from shared.clock import SEOUL
from shared.topics import Topic
from tests.conftest import MovableClock, Stack, publish_many, running, wait_for
from tests.placement.integration.test_outcomes_on_real_stack import completed_event

pytestmark = pytest.mark.integration


def business_no() -> str:
    n = uuid.uuid4().int
    return f"{n % 900 + 100}-{n % 90 + 10}-{n % 90000 + 10000}"


async def test_a_graduate_is_recommended_referred_and_given_interview_slots(stack: Stack) -> None:
    run = uuid.uuid4().hex[:6]
    graduates = [f"p-{run}-{n}" for n in range(3)]
    await publish_many(
        stack.bootstrap_servers,
        Topic.ENROLLMENT_COMPLETED,
        [completed_event(p, f"yja-{run}-mapo") for p in graduates],
    )
    clock = MovableClock(datetime(2025, 10, 1, 10, tzinfo=SEOUL))
    app = create_app(PlacementSettings(**stack.service_env("placement")), clock=clock)
    near, far = business_no(), business_no()
    async with running(app) as client:
        for number, name in ((near, "금천소프트"), (far, "노원데이터")):
            assert (
                await client.post("/employers", json={"business_no": number, "name": name})
            ).status_code == 200
        opening = {
            "title": "백엔드 개발자",
            "employment_type": "permanent",
            "positions": 2,
            "closes_on": "2025-10-31",
        }
        posted = [
            await client.post(
                f"/employers/{near}/openings",
                json=opening | {"tags": ["Python", "web-api"], "district": "금천구"},
            ),
            await client.post(
                f"/employers/{far}/openings",
                json=opening | {"tags": ["python", "spark", "sql"], "district": "노원구"},
            ),
            await client.post(
                f"/employers/{far}/openings",
                json=opening | {"tags": ["welding"], "district": "노원구"},
            ),
        ]
        unknown_employer = await client.post(
            "/employers/999-99-99999/openings", json=opening | {"tags": ["x"], "district": "중구"}
        )

        async def known() -> bool:
            answer = await client.put(
                f"/graduates/{graduates[0]}/profile",
                json={"districts": ["금천구"], "employment_types": ["permanent"]},
            )
            return answer.status_code == 200

        assert await wait_for(known)
        found = (await client.get(f"/graduates/{graduates[0]}/recommendations")).json()
        stranger = await client.get("/graduates/p-nobody/recommendations")

        ids = [p.json()["opening_id"] for p in posted]
        referrals = [
            await client.post(
                "/referrals",
                json={"opening_id": opening_id, "applicant_id": person, "coordinator": "jc-1"},
            )
            for person in graduates
            for opening_id in ids[:2]
        ]
        again = await client.post(
            "/referrals",
            json={"opening_id": ids[0], "applicant_id": graduates[0], "coordinator": "jc-2"},
        )
        day = {
            "matching_day_id": f"md-{run}",
            "day": "2025-11-12",
            "opens": "10:00",
            "closes": "11:30",
            "slot_minutes": 30,
            "employers": [near, far],
        }
        planned = await client.post("/matching-days", json=day)
        replanned = await client.post("/matching-days", json=day)
        fetched = await client.get(f"/matching-days/md-{run}")

    assert [p.status_code for p in posted] == [201, 201, 201]
    assert unknown_employer.status_code == 404
    assert unknown_employer.json()["detail"][0]["field"] == "business_no"
    # The AI course's tags hold python and web-api (catalog/course-skills.yaml): the nearby
    # opening needing both comes first; the welding one is not recommended at all.
    assert [r["opening"]["opening_id"] for r in found] == ids[:2]
    assert found[0]["matched_skills"] == ["python", "web-api"]
    assert found[0]["same_district"] and found[0]["wanted_employment_type"]
    assert stranger.status_code == 404

    assert [r.status_code for r in referrals] == [201] * 6
    assert again.status_code == 200
    assert again.json()["coordinator"] == "jc-1"  # the first referral stands

    assert planned.status_code == 201
    assert replanned.status_code == 409
    interviews = planned.json()["interviews"]
    assert fetched.json()["interviews"] == interviews
    assert len(interviews) == 6  # three candidates × two employers, in three slots
    for who in ("applicant_id", "business_no"):
        booked = [(i[who], i["slot"]) for i in interviews]
        assert len(set(booked)) == len(booked)
    assert planned.json()["unscheduled"] == []
