"""Attendance (출석): one mark per enrollment and session, the last one recorded counts.

Campuses record it session by session over HTTP, or upload what their own system exported
(CSV). A correction is simply a later mark. Completion compares the sessions attended with the
cohort's planned sessions (see `seats.attendance_suffices`).
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

PRESENT = {"1", "true", "y", "yes", "o", "present", "출석"}
ABSENT = {"0", "false", "n", "no", "x", "absent", "결석"}
CSV_COLUMNS = ("enrollment_id", "session", "present")
MAX_CSV_ROWS = 100_000


class AttendanceError(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Mark:
    enrollment_id: str
    session: int
    present: bool


@dataclass(frozen=True)
class RecordedMark:
    mark: Mark
    recorded_at: datetime
    sequence: int  # orders marks recorded at the same instant


def parse_csv(text: str) -> list[Mark]:
    """`enrollment_id,session,present` with a header; present as 1/0, true/false, Y/N, O/X or
    출석/결석. A row at fault is named: `rows[<line>].<column>`."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(name.strip() for name in reader.fieldnames or ())
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise AttendanceError("header", f"missing column(s): {', '.join(missing)}")
    marks = []
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_CSV_ROWS:
            raise AttendanceError("rows", f"at most {MAX_CSV_ROWS} rows per upload")
        values = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        enrollment_id = values["enrollment_id"]
        if not enrollment_id:
            raise AttendanceError(f"rows[{line}].enrollment_id", "empty")
        try:
            session = int(values["session"])
        except ValueError:
            raise AttendanceError(f"rows[{line}].session", "not a whole number") from None
        present = values["present"].lower()
        if present not in PRESENT | ABSENT:
            raise AttendanceError(f"rows[{line}].present", "expected 1/0, Y/N, O/X or 출석/결석")
        marks.append(Mark(enrollment_id, session, present in PRESENT))
    return marks


def sessions_attended(marks: Iterable[RecordedMark]) -> dict[str, int]:
    """Per enrollment, the sessions whose latest mark says present."""
    latest: dict[tuple[str, int], RecordedMark] = {}
    for recorded in marks:
        key = (recorded.mark.enrollment_id, recorded.mark.session)
        known = latest.get(key)
        if known is None or (recorded.recorded_at, recorded.sequence) >= (
            known.recorded_at,
            known.sequence,
        ):
            latest[key] = recorded
    attended: dict[str, int] = defaultdict(int)
    for (enrollment_id, _), recorded in latest.items():
        attended[enrollment_id] += recorded.mark.present
    return dict(attended)
