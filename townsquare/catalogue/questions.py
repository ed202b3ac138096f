"""The questions of a service's form, ready for their GOV.UK components: what the report form
asks and what the service builder's preview shows, from one definition so they cannot drift."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

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
    # Inputs are named and identified "<prefix><code>"; the builder's preview uses its own.
    prefix: str = "field-"

    @property
    def id(self) -> str:
        return f"{self.prefix}{self.code}"

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
        elif data is not None:
            question.value = data.get(name, "")
        questions.append(question)
    return questions


def _hint(spec: dict[str, Any]) -> str:
    parts = [spec.get("help", "")]
    datatype = spec["datatype"]
    low, high = spec.get("min"), spec.get("max")
    if datatype == "multivaluelist" and not spec.get("help"):
        parts.append(_("Select all that apply."))
    elif datatype == "datetime":
        parts.append(_("For example, 2026-03-02 07:30 (24-hour clock, UK time)."))
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
