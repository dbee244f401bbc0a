"""The participant satisfaction survey (참여자 만족도 조사) every programme ends with: a few
questions answered 1 (매우 불만족) to 5 (매우 만족) and an optional comment, once per
enrollment. Operators read the averages per program, cohort and campus."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Question(StrEnum):
    CONTENT = "content"
    INSTRUCTOR = "instructor"
    FACILITIES = "facilities"
    JOB_SUPPORT = "job_support"
    OVERALL = "overall"


QUESTIONS = {
    Question.CONTENT: "교육 내용에 만족하십니까?",
    Question.INSTRUCTOR: "강사의 강의에 만족하십니까?",
    Question.FACILITIES: "교육 시설과 환경에 만족하십니까?",
    Question.JOB_SUPPORT: "취업·창업 지원(구직서류 코칭, 면접전략 등)에 만족하십니까?",
    Question.OVERALL: "과정 전반에 만족하십니까?",
}
SCALE = {1: "매우 불만족", 2: "불만족", 3: "보통", 4: "만족", 5: "매우 만족"}

Score = int


class Answers(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    content: Score = Field(ge=1, le=5)
    instructor: Score = Field(ge=1, le=5)
    facilities: Score = Field(ge=1, le=5)
    job_support: Score = Field(ge=1, le=5)
    overall: Score = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)

    def scores(self) -> dict[Question, int]:
        return {question: getattr(self, question.value) for question in Question}


@dataclass(frozen=True)
class Response:
    enrollment_id: str
    program_id: str
    cohort_id: str
    campus_id: str
    answers: Answers
    answered_at: datetime


class Scope(StrEnum):
    PROGRAM = "program"
    COHORT = "cohort"
    CAMPUS = "campus"


@dataclass(frozen=True)
class Averages:
    scope: Scope
    id: str
    responses: int
    averages: dict[Question, float]


def averages(responses: Iterable[Response], scope: Scope) -> list[Averages]:
    """Mean score per question for each program, cohort or campus, to two decimals."""
    groups: dict[str, list[Response]] = defaultdict(list)
    for response in responses:
        key = {
            Scope.PROGRAM: response.program_id,
            Scope.COHORT: response.cohort_id,
            Scope.CAMPUS: response.campus_id,
        }[scope]
        groups[key].append(response)
    return [
        Averages(
            scope,
            key,
            len(group),
            {
                question: round(sum(r.answers.scores()[question] for r in group) / len(group), 2)
                for question in Question
            },
        )
        for key, group in sorted(groups.items())
    ]
