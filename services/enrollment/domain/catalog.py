"""The cohort catalog, parsed from documents already loaded (the YAML files of
services/enrollment/catalog/). Reading files is the service's job; this module only validates.

One document describes one program's campuses, courses and cohorts:

    program:  {id, name, attendance_rate?, offer_hours?, late_entry_days?}
    campuses: [{id, name, address, district}]
    courses:  [{id, name, field, leads_to?: <course id of the same program>}]
    cohorts:  [{id, campus, course, call?, start_date, end_date, sessions, capacity, ages?}]

A cohort names its campus and course by id and inherits the program's rules unless it sets its
own; the parsed `Cohort` carries all of it, as one an operator posts does.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .cohort import Campus, Cohort, Course, CourseRef

PROGRAM_RULES = ("attendance_rate", "offer_hours", "late_entry_days")
M = TypeVar("M", bound=BaseModel)


class CatalogError(ValueError):
    pass


def parse_catalog(documents: Iterable[Mapping[str, Any]]) -> list[Cohort]:
    cohorts: list[Cohort] = []
    for number, document in enumerate(documents, start=1):
        cohorts += _parse_document(document, f"document {number}")
    repeated = sorted(i for i, n in Counter(c.id for c in cohorts).items() if n > 1)
    if repeated:
        raise CatalogError(f"duplicate cohort ids: {', '.join(repeated)}")
    calls = Counter(c.call.id for c in cohorts if c.call is not None)
    shared = sorted(i for i, n in calls.items() if n > 1)
    if shared:
        raise CatalogError(f"calls filling more than one cohort: {', '.join(shared)}")
    return cohorts


def _parse_document(document: Mapping[str, Any], where: str) -> list[Cohort]:
    unknown = set(document) - {"program", "campuses", "courses", "cohorts"}
    if unknown or "program" not in document:
        raise CatalogError(f"{where}: expected keys program, campuses, courses and cohorts")
    program = dict(document["program"])
    if set(program) - {"id", "name", *PROGRAM_RULES}:
        raise CatalogError(f"{where}: program has unknown keys")
    where = f"program {program.get('id', '?')}"
    campuses = {
        raw["id"]: _valid(Campus, raw, f"{where}, campus") for raw in document.get("campuses", [])
    }
    raw_courses = {raw["id"]: raw for raw in document.get("courses", [])}
    courses: dict[str, Course] = {}
    for course_id, raw in raw_courses.items():
        target = raw.get("leads_to")
        if target is not None:
            if target not in raw_courses:
                raise CatalogError(f"{where}: course {course_id} leads to unknown {target}")
            raw = raw | {
                "leads_to": CourseRef(
                    program_id=program["id"],
                    course_id=target,
                    course_name=raw_courses[target]["name"],
                )
            }
        courses[course_id] = _valid(Course, raw, f"{where}, course {course_id}")
    rules = {key: program[key] for key in PROGRAM_RULES if key in program}
    cohorts = []
    for raw in document.get("cohorts", []):
        at = f"{where}, cohort {raw.get('id', '?')}"
        campus, course = campuses.get(raw.get("campus")), courses.get(raw.get("course"))
        if campus is None or course is None:
            raise CatalogError(f"{at}: names an unknown campus or course")
        data = (
            rules
            | raw
            | {
                "program_id": program["id"],
                "program_name": program["name"],
                "campus": campus,
                "course": course,
            }
        )
        cohorts.append(_valid(Cohort, data, at))
    return cohorts


def _valid(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise CatalogError(f"{where}: {error}") from error
