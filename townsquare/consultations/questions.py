"""A consultation question as the service templates' field definition, so that answers to the
shared question types are checked by the one reader of answers (catalogue.fields), and the
checks for the two types of a consultation's own (ranking, statements). Pure."""

from __future__ import annotations

from typing import Any

from townsquare.catalogue.fields import clean_field_value
from townsquare.consultations.models import Question, QuestionKind
from townsquare.core.errors import InvalidInput, Problem

STATEMENT_VOTES = ("agree", "disagree", "pass")
# A statement's vote as a number for the opinion groups: pass counts as no opinion.
VOTE_SCORE = {"agree": 1.0, "disagree": -1.0, "pass": 0.0}
SHARED_KINDS = {
    QuestionKind.STRING,
    QuestionKind.TEXT,
    QuestionKind.NUMBER,
    QuestionKind.SINGLE,
    QuestionKind.MULTI,
    QuestionKind.POSTCODE,
}
CHOICE_KINDS = {QuestionKind.SINGLE, QuestionKind.MULTI, QuestionKind.RANKING}
FREE_TEXT_KINDS = {QuestionKind.STRING, QuestionKind.TEXT}


def label_in(question: Question, language: str) -> str:
    return (question.label_cy if language == "cy" else "") or question.label


def options_in(question: Question, language: str) -> list[dict[str, str]]:
    return [
        {"key": o["key"], "name": (o.get("name_cy") if language == "cy" else "") or o["name"]}
        for o in question.options
    ]


def as_field(question: Question, language: str = "en") -> dict[str, Any]:
    """The question as a service template field definition (catalogue.fields)."""
    field: dict[str, Any] = {
        "code": question.code,
        "label": label_in(question, language),
        "datatype": question.kind,
        "required": question.required,
    }
    if question.kind in CHOICE_KINDS:
        field["values"] = options_in(question, language)
    return field


def _refused(code: str, template: str, problem_code: str, **params: Any) -> InvalidInput:
    return InvalidInput(
        {code: [Problem(template, code=problem_code, params=params)]}, code="invalid_answers"
    )


def answer_clean(question: Question, raw: Any) -> Any:
    """One answer as it is stored, None when left empty (and allowed to be); InvalidInput on
    the question's code otherwise."""
    if question.kind in SHARED_KINDS:
        return clean_field_value(as_field(question), raw)
    empty = raw is None or raw == "" or raw == []
    if empty:
        if question.required:
            raise _refused(question.code, "%(field)s required", "required", field=question.code)
        return None
    if question.kind == QuestionKind.STATEMENT:
        if raw not in STATEMENT_VOTES:
            raise _refused(
                question.code,
                "must be agree, disagree or pass",
                "invalid_choice",
                value=str(raw)[:40],
            )
        return raw
    # Ranking: every option once, most wanted first.
    keys = [o["key"] for o in question.options]
    order = [str(k) for k in raw] if isinstance(raw, list) else []
    if sorted(order) != sorted(keys):
        raise _refused(
            question.code, "must put every option in order, each once", "invalid_ranking"
        )
    return order


_NOT_A_RANKING = ["?"]


def ranking_from_positions(keys: list[str], positions: dict[str, str]) -> list[str] | None:
    """A ranking from a form without JavaScript, which asks for each option's position:
    the keys ordered by position; None when nothing was chosen; a list answer_clean refuses
    when the positions are not 1 to n, each once."""
    chosen = {k: positions.get(k, "").strip() for k in keys}
    if not any(chosen.values()):
        return None
    try:
        numbers = {k: int(v) for k, v in chosen.items()}
    except ValueError:
        return _NOT_A_RANKING
    if sorted(numbers.values()) != list(range(1, len(keys) + 1)):
        return _NOT_A_RANKING
    return sorted(keys, key=lambda k: numbers[k])
