"""Attendance from a campus system's CSV export, and the last mark of a session counting."""

from datetime import datetime, timedelta

import pytest

from services.enrollment.domain.attendance import (
    AttendanceError,
    Mark,
    RecordedMark,
    parse_csv,
    sessions_attended,
)
from shared.clock import SEOUL

T0 = datetime(2025, 9, 1, 18, 0, tzinfo=SEOUL)


def test_a_campus_export_reads_with_every_spelling_of_present_and_absent() -> None:
    text = (
        "\ufeffenrollment_id,session,present\n"
        "A-1,1,1\nA-1,2,출석\nA-1,3,O\nA-1,4,Y\nA-1,5,true\n"
        "A-2,1,0\nA-2,2,결석\nA-2,3,X\nA-2,4,n\n"
    )
    marks = parse_csv(text)
    assert [m.present for m in marks] == [True] * 5 + [False] * 4
    assert marks[0] == Mark("A-1", 1, True)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("enrollment_id,present\nA-1,1\n", "header"),
        ("enrollment_id,session,present\nA-1,1,1\nA-1,two,1\n", "rows[3].session"),
        ("enrollment_id,session,present\nA-1,1,maybe\n", "rows[2].present"),
        ("enrollment_id,session,present\n,1,1\n", "rows[2].enrollment_id"),
    ],
    ids=["a missing column", "a session that is not a number", "an unknown mark", "no enrollment"],
)
def test_a_bad_row_is_named_by_its_line_and_column(text: str, field: str) -> None:
    with pytest.raises(AttendanceError) as error:
        parse_csv(text)
    assert error.value.field == field


def test_the_last_mark_of_a_session_counts_so_a_correction_is_a_later_mark() -> None:
    marks = [
        RecordedMark(Mark("A-1", 1, False), T0, 0),
        RecordedMark(Mark("A-1", 1, True), T0 + timedelta(hours=1), 1),  # corrected
        RecordedMark(Mark("A-1", 2, True), T0, 2),
        RecordedMark(Mark("A-1", 2, False), T0, 3),  # same upload, later row
        RecordedMark(Mark("A-2", 1, True), T0, 4),
    ]
    assert sessions_attended(reversed(marks)) == {"A-1": 1, "A-2": 1}
