"""The questions of a service's form, ready for their GOV.UK components: what the report form
asks and what the service builder's preview shows, from one definition so they cannot drift."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from townsquare.catalogue import dates
from townsquare.catalogue.autocomplete import autocomplete_for, date_part_tokens
from townsquare.catalogue.fields import DEFAULT_MAX_LENGTH


@dataclass
class Question:
    """One template field, ready for its GOV.UK component."""

    code: str
    label: str
    datatype: str
    hint: str = ""
    required: bool = False
    private: bool = False
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    value: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    # The HTML autofill token of its input (WCAG 1.3.5), "" for none.
    autocomplete: str = ""
    # A date's day, month and year as typed, and which of them the error is about (GOV.UK:
    # highlight only the wrong parts; all three when the date as a whole is wrong).
    parts: dict[str, str] = field(default_factory=dict)
    error_parts: tuple[str, ...] = ()
    # Inputs are named and identified "<prefix><code>"; the builder's preview uses its own.
    prefix: str = "field-"

    @property
    def id(self) -> str:
        return f"{self.prefix}{self.code}"

    @property
    def date_inputs(self) -> list[dict[str, Any]]:
        """The GOV.UK date input's three inputs, for the template to draw."""
        return date_inputs(
            self.id,
            self.parts,
            autocomplete=self.autocomplete,
            error=bool(self.error),
            error_parts=self.error_parts,
        )

    @property
    def error_target(self) -> str:
        """The id an error summary links to: the first input to correct."""
        if self.options:
            return self.options[0]["id"]
        if self.datatype == "date":
            return first_wrong_input(self.id, self.error_parts)
        return self.id

    @property
    def described_by(self) -> str:
        """The ids of its hint and error, for aria-describedby."""
        return " ".join(
            ([f"{self.id}-hint"] if self.hint else [])
            + ([f"{self.id}-error"] if self.error else [])
        )


def questions_for(
    fields: Iterable[dict[str, Any]], data: Any, *, prefix: str = "field-"
) -> list[Question]:
    """The template's fields a resident answers, in order, with what they typed (`data`, a
    QueryDict, or None for an empty form)."""
    questions = []
    for spec in sorted(fields, key=lambda f: f.get("order", 0)):
        if spec.get("automated"):
            continue  # filled in by Townsquare or by an app, never asked on this form
        datatype = spec["datatype"]
        question = Question(
            code=spec["code"],
            label=spec["label"],
            datatype=datatype,
            hint=_hint(spec),
            required=bool(spec.get("required")),
            private=bool(spec.get("private")),
            max_length=spec.get("max_length", DEFAULT_MAX_LENGTH.get(datatype)),
            min=spec.get("min"),
            max=spec.get("max"),
            prefix=prefix,
            autocomplete=autocomplete_for(spec),
        )
        name = question.id
        chosen = set(data.getlist(name)) if data is not None else set()
        if datatype in ("singlevaluelist", "multivaluelist"):
            for i, option in enumerate(spec.get("values", [])):
                question.options.append(
                    {
                        "id": name if i == 0 else f"{name}-{i + 1}",
                        "key": option["key"],
                        "name": option["name"],
                        "checked": option["key"] in chosen,
                    }
                )
        elif datatype == "date":
            question.parts = dates.parts_of(date_parts_from(data, name))
        elif data is not None:
            question.value = data.get(name, "")
        questions.append(question)
    return questions


def date_inputs(
    id: str,
    parts: dict[str, str],
    *,
    autocomplete: str,
    error: bool,
    error_parts: tuple[str, ...],
) -> list[dict[str, Any]]:
    """A GOV.UK date input's day, month and year inputs (ids "<id>-day"...): an error marks
    only the parts it is about, or all three when it is about the whole date."""
    tokens = date_part_tokens(autocomplete)
    return [
        {
            "part": part,
            "id": f"{id}-{part}",
            "value": parts.get(part, ""),
            "width": 4 if part == "year" else 2,
            "autocomplete": tokens[part],
            "error": error and part in (error_parts or dates.PARTS),
        }
        for part in dates.PARTS
    ]


def first_wrong_input(id: str, error_parts: tuple[str, ...]) -> str:
    """Where an error summary sends the person: the first part to correct (GOV.UK)."""
    wrong = [part for part in dates.PARTS if part in (error_parts or dates.PARTS)]
    return f"{id}-{wrong[0]}"


def date_parts_from(data: Any, name: str) -> dict[str, str]:
    """A GOV.UK date input's parts as posted (`<name>-day`, `-month`, `-year`)."""
    if data is None:
        return {}
    return {part: data.get(f"{name}-{part}", "") for part in dates.PARTS}


def _hint(spec: dict[str, Any]) -> str:
    parts = [spec.get("help", "")]
    datatype = spec["datatype"]
    low, high = spec.get("min"), spec.get("max")
    if datatype == "multivaluelist" and not spec.get("help"):
        parts.append(_("Select all that apply."))
    elif datatype == "datetime":
        parts.append(_("For example, 2026-03-02 07:30 (24-hour clock, UK time)."))
    elif datatype == "date" and not spec.get("help"):
        parts.append(_("For example, 27 3 2015"))
    elif datatype == "postcode" and not spec.get("help"):
        parts.append(_("For example, BS1 5TR"))
    elif datatype == "number" and low is not None and high is not None:
        parts.append(
            _("A number from %(min)s to %(max)s.") % {"min": f"{low:g}", "max": f"{high:g}"}
        )
    elif datatype == "number" and low is not None:
        parts.append(_("A number, at least %(min)s.") % {"min": f"{low:g}"})
    elif datatype == "number" and high is not None:
        parts.append(_("A number, at most %(max)s.") % {"max": f"{high:g}"})
    if spec.get("private"):
        parts.append(_("Only the council will see this answer."))
    return " ".join(part for part in parts if part)
