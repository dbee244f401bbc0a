"""The satisfaction survey: 1-5 answers and a comment, averaged per program, cohort, campus."""

from datetime import datetime

import pytest
from pydantic import ValidationError

from services.enrollment.domain.survey import (
    QUESTIONS,
    Answers,
    Question,
    Response,
    Scope,
    averages,
)
from shared.clock import SEOUL

AT = datetime(2025, 10, 31, 18, 0, tzinfo=SEOUL)


def response(n: int, cohort: str, campus: str, score: int) -> Response:
    answers = Answers(
        content=score, instructor=score, facilities=score, job_support=score, overall=score
    )
    return Response(f"e{n}", "tti", cohort, campus, answers, AT)


def test_every_question_is_asked_in_korean() -> None:
    assert set(QUESTIONS) == set(Question)
    assert QUESTIONS[Question.OVERALL] == "과정 전반에 만족하십니까?"


@pytest.mark.parametrize("score", [0, 6])
def test_scores_run_from_1_to_5(score: int) -> None:
    with pytest.raises(ValidationError):
        Answers(content=score, instructor=3, facilities=3, job_support=3, overall=3)


def test_averages_per_program_cohort_and_campus() -> None:
    responses = [
        response(1, "c1", "jungbu", 5),
        response(2, "c1", "jungbu", 4),
        response(3, "c2", "dongbu", 2),
    ]
    [program] = averages(responses, Scope.PROGRAM)
    assert (program.id, program.responses, program.averages[Question.OVERALL]) == ("tti", 3, 3.67)
    cohorts = {a.id: a.averages[Question.CONTENT] for a in averages(responses, Scope.COHORT)}
    assert cohorts == {"c1": 4.5, "c2": 2.0}
    campuses = {a.id: a.responses for a in averages(responses, Scope.CAMPUS)}
    assert campuses == {"jungbu": 2, "dongbu": 1}
