"""A cohort's seats: offers, the waitlist and its promotions, expiry, withdrawal, filling and
completion, as the cohort's one writer decides them."""

from datetime import timedelta
from fractions import Fraction

from services.enrollment.domain.commands import AcceptOffer, DeclineOffer
from services.enrollment.domain.seats import (
    DECLINED_REASON,
    EXPIRED_REASON,
    FactKind,
    attendance_suffices,
    offer_id_of,
)
from tests.enrollment.unit.builders import BEFORE_START, Desk, make_cohort

HOUR = timedelta(hours=1)


def test_selected_applicants_beyond_the_seats_queue_ahead_of_the_waitlist() -> None:
    desk = Desk()  # 3 seats
    desk.waitlist(1, 2)
    desk.select("s1", "s2", "s3", "s4")
    assert [desk.status(i) for i in ("s1", "s2", "s3")] == ["offered"] * 3
    assert desk.status("s4") == "waiting"
    assert [s.application_id for s in desk.state.waitlist()] == ["s4", "w1", "w2"]
    offer = desk.state.seats["s1"]
    assert offer.offer_id == offer_id_of("test-cohort", "s1")
    assert offer.deadline == BEFORE_START + 72 * HOUR
    assert desk.of_kind(FactKind.PROMOTED) == []


def test_a_decline_offers_the_seat_to_the_first_on_the_waitlist_with_a_deadline() -> None:
    desk = Desk()
    desk.select("s1", "s2", "s3")
    desk.waitlist(1, 2, 3)
    later = BEFORE_START + 5 * HOUR
    facts = desk.decline("s2", at=later)
    assert [f.kind for f in facts] == [FactKind.DECLINED, FactKind.PROMOTED]
    assert facts[0].seat is not None and facts[0].seat.reason == DECLINED_REASON
    promoted = facts[1].seat
    assert promoted is not None
    assert (promoted.application_id, promoted.status, promoted.promoted) == ("w1", "offered", True)
    assert promoted.deadline == later + 72 * HOUR
    assert desk.state.held == 3


def test_an_unanswered_offer_expires_after_its_deadline_and_the_seat_moves_on() -> None:
    desk = Desk()
    desk.select("s1", "s2", "s3")
    desk.waitlist(1)
    deadline = BEFORE_START + 72 * HOUR
    desk.accept("s1")
    desk.accept("s3")
    assert desk.check(deadline) == []  # at the deadline it is still open
    facts = desk.check(deadline + timedelta(seconds=1))
    assert [(f.kind, f.seat.application_id if f.seat else None) for f in facts] == [
        (FactKind.EXPIRED, "s2"),
        (FactKind.PROMOTED, "w1"),
    ]
    assert desk.state.seats["s2"].reason == EXPIRED_REASON


def test_an_acceptance_after_the_deadline_is_not_taken() -> None:
    desk = Desk()
    desk.select("s1")
    late = BEFORE_START + 72 * HOUR + timedelta(minutes=1)
    assert desk.accept("s1", at=late) == []
    assert desk.status("s1") == "offered"  # the next check expires it


def test_an_answer_naming_another_offer_changes_nothing() -> None:
    desk = Desk()
    desk.select("s1", "s2")
    wrong = offer_id_of("test-cohort", "s2")
    assert desk.run(AcceptOffer(application_id="s1", offer_id=wrong)) == []
    assert desk.run(DeclineOffer(application_id="s1", offer_id=wrong)) == []
    assert desk.status("s1") == "offered"


def test_the_cohort_is_filled_once_and_again_only_after_a_release() -> None:
    desk = Desk()
    desk.select("s1", "s2", "s3")
    desk.waitlist(1)
    for application in ("s1", "s2", "s3"):
        desk.accept(application)
    assert [f.filling for f in desk.facts if f.kind is FactKind.FILLED] == [1]
    desk.accept("s3")  # the same answer again
    assert len([f for f in desk.facts if f.kind is FactKind.FILLED]) == 1
    desk.withdraw("s2")
    assert not desk.state.full
    desk.accept("w1")
    assert [f.filling for f in desk.facts if f.kind is FactKind.FILLED] == [1, 2]


def test_a_waitlisted_applicant_is_never_passed_over_by_someone_behind_them() -> None:
    desk = Desk()
    desk.select("s1", "s2", "s3")
    desk.waitlist(2, 3)  # position 1 has not arrived yet
    desk.decline("s1")
    assert desk.of_kind(FactKind.PROMOTED) == []
    assert desk.state.vacancies == 1
    desk.waitlist(1)
    assert desk.of_kind(FactKind.PROMOTED) == ["w1"]
    desk.decline("s2")
    assert desk.of_kind(FactKind.PROMOTED) == ["w1", "w2"]


def test_a_selected_applicant_whose_event_comes_late_still_finds_their_seat() -> None:
    desk = Desk()
    desk.select("s1", "s2")  # s3's selection is still on its way
    desk.waitlist(1, 2)
    desk.decline("s1")  # one seat freed: w1, not two seats
    assert desk.of_kind(FactKind.PROMOTED) == ["w1"]
    facts = desk.select("s3")
    assert desk.status("s3") == "offered"
    assert [f.kind for f in facts] == [FactKind.OFFERED]
    assert desk.state.held == 3


def test_a_seat_given_up_after_the_start_goes_on_only_until_late_entry_closes() -> None:
    cohort = make_cohort(late_entry_days=7)
    for days_after_start, promoted in ((3, ["w1"]), (7, [])):
        desk = Desk(cohort)
        desk.select("s1", "s2", "s3")
        desk.waitlist(1)
        desk.accept("s1")
        at = cohort.starts_at + timedelta(days=days_after_start)
        facts = desk.withdraw("s1", at=at)
        assert facts[0].kind is FactKind.WITHDRAWN
        assert desk.status("s1") == "withdrawn"
        assert desk.of_kind(FactKind.PROMOTED) == promoted, days_after_start


def test_leaving_the_waitlist_frees_no_seat_and_blocks_no_one_behind() -> None:
    desk = Desk()
    desk.select("s1", "s2", "s3")
    desk.waitlist(1, 2)
    desk.withdraw("w1")
    assert desk.status("w1") == "withdrawn"
    assert desk.of_kind(FactKind.PROMOTED) == []
    desk.decline("s3")
    assert desk.of_kind(FactKind.PROMOTED) == ["w2"]


def test_every_command_applied_again_changes_nothing() -> None:
    desk = Desk()
    desk.select("s1", "s2", "s3", "s4")
    desk.waitlist(1, 2)
    desk.accept("s1")
    desk.decline("s2")
    desk.withdraw("w2")
    desk.check(BEFORE_START + 100 * HOUR)
    before = desk.state
    again = Desk(desk.cohort)
    again.state = before
    again.select("s1", "s2", "s3", "s4")
    again.waitlist(1, 2)
    again.accept("s1")
    again.decline("s2")
    again.withdraw("w2")
    again.check(BEFORE_START + 100 * HOUR)
    assert again.facts == []
    assert again.state == before


def test_completion_at_80_percent_attendance_and_a_drop_out_at_79_9() -> None:
    cohort = make_cohort(sessions=1000)
    desk = Desk(cohort)
    desk.select("s1", "s2", "s3")
    for application in ("s1", "s2", "s3"):
        desk.accept(application)
    end = cohort.starts_at + timedelta(days=120)
    facts = desk.complete({"s1": 800, "s2": 799}, at=end)
    outcome = {f.seat.application_id: (f.kind, f.seat.attended) for f in facts if f.seat}
    assert outcome == {
        "s1": (FactKind.COMPLETED, 800),
        "s2": (FactKind.DROPPED_OUT, 799),
        "s3": (FactKind.DROPPED_OUT, 0),  # nothing recorded
    }
    assert desk.complete({"s2": 1000}, at=end) == []  # judged once


def test_the_attendance_rate_is_compared_exactly() -> None:
    eighty = Fraction("0.8")
    assert attendance_suffices(800, 1000, eighty)
    assert not attendance_suffices(799, 1000, eighty)
    assert attendance_suffices(4, 5, eighty)
    assert not attendance_suffices(3, 5, eighty)
    assert attendance_suffices(1, 1, Fraction(1))
