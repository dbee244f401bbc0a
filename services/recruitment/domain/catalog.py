"""The program catalog: programs and their calls, parsed from documents already loaded (YAML
files in services/recruitment/catalog/, or operator API bodies). Reading files is the service's
job; this module only validates.

One document describes one program and the calls it runs:

    program: {id, name, kind, campuses, courses, job_types}
    calls: [{id, title, window, start_date, quota, selection_method, eligibility, ...}]

A call inherits `program_id` and `program_kind` from its document, so they cannot disagree.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from services.recruitment.domain.call import Call
from services.recruitment.domain.program import Program

M = TypeVar("M", bound=BaseModel)


class CatalogError(ValueError):
    pass


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True)

    programs: tuple[Program, ...]
    calls: tuple[Call, ...]

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        for label, ids in (
            ("program", [p.id for p in self.programs]),
            ("call", [c.id for c in self.calls]),
        ):
            repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
            if repeated:
                raise ValueError(f"duplicate {label} ids: {', '.join(repeated)}")
        for call in self.calls:
            _check_call_references(call, self.program(call.program_id))
        for program in self.programs:
            for course in program.courses:
                target = course.leads_to
                if target is None:
                    continue
                linked = self.program(target.program_id)
                if linked.course(target.course_id) is None:
                    raise ValueError(
                        f"course {program.id}/{course.id} leads to an unknown course"
                        f" {target.program_id}/{target.course_id}"
                    )
        return self

    def program(self, program_id: str) -> Program:
        found = next((p for p in self.programs if p.id == program_id), None)
        if found is None:
            raise KeyError(f"no program {program_id}")
        return found

    def call(self, call_id: str) -> Call:
        found = next((c for c in self.calls if c.id == call_id), None)
        if found is None:
            raise KeyError(f"no call {call_id}")
        return found

    def calls_of(self, program_id: str) -> tuple[Call, ...]:
        return tuple(c for c in self.calls if c.program_id == program_id)


def _check_call_references(call: Call, program: Program) -> None:
    if call.program_kind is not program.kind:
        raise ValueError(f"call {call.id} is {call.program_kind}, its program is {program.kind}")
    for label, ref, lookup in (
        ("campus", call.campus_id, program.campus),
        ("course", call.course_id, program.course),
        ("job type", call.job_type_id, program.job_type),
    ):
        if ref is not None and lookup(ref) is None:
            raise ValueError(f"call {call.id} names unknown {label} {ref} of {program.id}")


def parse_catalog(documents: Iterable[Mapping[str, Any]]) -> Catalog:
    programs: list[Program] = []
    calls: list[Call] = []
    for number, document in enumerate(documents, start=1):
        unknown = set(document) - {"program", "calls"}
        if unknown or "program" not in document:
            raise CatalogError(f"document {number}: expected keys program and calls")
        program = _validated(Program, document["program"], f"document {number}, program")
        programs.append(program)
        for raw in document.get("calls") or ():
            where = f"program {program.id}, call {raw.get('id', '?')}"
            inherited = {"program_id": program.id, "program_kind": program.kind.value}
            clashes = [k for k, v in inherited.items() if raw.get(k, v) != v]
            if clashes:
                raise CatalogError(f"{where}: {', '.join(clashes)} differ from the program")
            calls.append(_validated(Call, {**raw, **inherited}, where))
    try:
        return Catalog(programs=tuple(programs), calls=tuple(calls))
    except ValidationError as error:
        raise CatalogError(str(error)) from error


def _validated(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise CatalogError(f"{where}: {error}") from error
