"""The citizen web's words for the domain's problems, in the active language (ADR 80).

The domain says what is wrong with a code and its parameters (core.errors.Problem); this is the
one place that turns them into GOV.UK-style messages, so the pages never re-check an answer to
be able to word its error, and a Welsh page never shows the domain's English.

- `question_text` words a problem with a template question (its label and datatype decide
  "Select" or "Enter"; a date question takes GOV.UK's date input messages, "Date of birth
  must be a real date", and `error_parts` says which of its inputs to mark);
- `input_text` words a problem with one of the domain's own arguments (description, email,
  location...) as the forms ask for them.

A code without words here falls back to the domain's English after the label: the test
`test_every_code_the_citizen_web_meets_has_words` keeps that from happening to the codes the
citizen web can meet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from townsquare.core.dates import iso_date_in_words
from townsquare.core.errors import InvalidInput, Problem

_LISTS = ("singlevaluelist", "multivaluelist")

# The outbox could not take an email someone is waiting for (messaging's MessageNotQueued).
NOT_SENT = gettext_lazy("We could not send the email just now. Try again in a few minutes.")

# A problem with a template question, by code; %(label)s is the question's label.
_QUESTION: dict[str, Promise] = {
    "max_length": gettext_lazy("“%(label)s” must be %(limit)s characters or fewer"),
    "null_character": gettext_lazy("“%(label)s” contains a character we cannot store"),
    "invalid_number": gettext_lazy("“%(label)s” must be a number, like 2"),
    "min_value": gettext_lazy("“%(label)s” must be %(min)s or more"),
    "max_value": gettext_lazy("“%(label)s” must be %(max)s or less"),
    "invalid_datetime": gettext_lazy(
        "Enter “%(label)s” as a date and time, for example 2026-03-02 07:30"
    ),
    "datetime_without_zone": gettext_lazy(
        "Enter “%(label)s” as a date and time, for example 2026-03-02 07:30"
    ),
    # Lists can only be wrong when the form was tampered with (or the template changed under
    # a draft): say what to do, not what came.
    "one_value": gettext_lazy("Select one of the answers listed for “%(label)s”"),
    "invalid_choice": gettext_lazy("Select one of the answers listed for “%(label)s”"),
    "invalid_choices": gettext_lazy("Select only answers listed for “%(label)s”"),
    "invalid_postcode": gettext_lazy("Enter a full UK postcode for “%(label)s”, like BS1 5TR"),
}
# A date question (GOV.UK date input pattern): the label is the sentence's subject, as in
# "Date of birth must be a real date"; %(earliest)s and %(latest)s are dates in words.
_DATE: dict[str, Promise] = {
    "invalid_date": gettext_lazy("%(label)s must be a real date"),
    "date_not_real": gettext_lazy("%(label)s must be a real date"),
    "date_year_digits": gettext_lazy("Year must include 4 numbers"),
    "date_not_past": gettext_lazy("%(label)s must be in the past"),
    "date_not_past_or_today": gettext_lazy("%(label)s must be today or in the past"),
    "date_not_future": gettext_lazy("%(label)s must be in the future"),
    "date_not_future_or_today": gettext_lazy("%(label)s must be today or in the future"),
    "date_too_early": gettext_lazy("%(label)s must be the same as or after %(earliest)s"),
    "date_too_late": gettext_lazy("%(label)s must be the same as or before %(latest)s"),
    "date_out_of_range": gettext_lazy("%(label)s must be between %(earliest)s and %(latest)s"),
}
_DATE_MISSING: dict[str, Promise] = {
    "day": gettext_lazy("%(label)s must include a day"),
    "month": gettext_lazy("%(label)s must include a month"),
    "year": gettext_lazy("%(label)s must include a year"),
    "day_month": gettext_lazy("%(label)s must include a day and month"),
    "day_year": gettext_lazy("%(label)s must include a day and year"),
    "month_year": gettext_lazy("%(label)s must include a month and year"),
}
_REQUIRED = {
    "singlevaluelist": gettext_lazy("Select an answer for “%(label)s”"),
    "multivaluelist": gettext_lazy("Select at least one answer for “%(label)s”"),
    "date": gettext_lazy("Enter %(label_in_sentence)s"),
    "postcode": gettext_lazy("Enter “%(label)s”"),
}

# A problem with one of the domain's own arguments, by (argument, code).
_INPUT: dict[tuple[str, str], Promise] = {
    ("location", "no_location"): gettext_lazy(
        "Show where the problem is: place a pin on the map, search for a street or place, or "
        "select the ward"
    ),
    ("location", "outside_council"): gettext_lazy(
        "The pin is outside %(council)s. Move it inside the boundary drawn on the map."
    ),
    ("area", "unknown_area"): gettext_lazy("Select a ward from the list"),
    ("area", "required"): gettext_lazy(
        "Select whether you want alerts for a ward or around a place"
    ),
    ("reference", "required"): gettext_lazy("Enter your reference, for example BRS-26-000123"),
    ("reference", "invalid_reference"): gettext_lazy("Enter a reference like BRS-26-000123"),
    ("email", "required"): gettext_lazy("Enter your email address"),
    ("email", "invalid_email"): gettext_lazy(
        "Enter an email address in the correct format, like name@example.com"
    ),
    ("phone", "invalid_phone"): gettext_lazy(
        "Enter a phone number, like 01632 960 001 or +44 7700 900 982"
    ),
    ("media", "too_many"): gettext_lazy("Add up to %(max)d photos"),
    ("media", "file_too_large"): gettext_lazy(
        "%(name)s is larger than %(mb)d MB: choose a smaller photo"
    ),
    ("media", "image_format"): gettext_lazy(
        "%(name)s is not a photo we can read: choose a JPEG, PNG or HEIC photo"
    ),
    ("media", "unreadable_image"): gettext_lazy(
        "%(name)s is not a photo we can read: choose a JPEG, PNG or HEIC photo"
    ),
    ("media", "too_many_pixels"): gettext_lazy(
        "%(name)s has too many pixels: choose a smaller photo"
    ),
    ("documents", "too_many"): gettext_lazy(
        "You can upload up to %(max)d documents. Remove one to add another."
    ),
    ("documents", "invalid_document"): gettext_lazy(
        "A document is too large or of the wrong kind. Remove it and upload it again."
    ),
    ("message", "required"): gettext_lazy("Enter your reply or add a document"),
    ("message", "not_waiting"): gettext_lazy(
        "The council is not waiting for a reply to this application any more. Check its "
        "status below."
    ),
    ("state", "illegal_transition"): gettext_lazy(
        "You cannot do this now: your application is “%(state)s”"
    ),
    ("state", "unknown_state"): gettext_lazy(
        "You cannot do this now: your application is “%(state)s”"
    ),
    ("radius", "out_of_range"): gettext_lazy("Select a distance"),
    ("services", "invalid_choice"): gettext_lazy("Select services from the list"),
    ("frequency", "invalid_choice"): gettext_lazy("Select how often you want to hear"),
    ("lat", "required"): gettext_lazy("Enter a latitude between -90 and 90, like 51.4545"),
    ("lat", "invalid_number"): gettext_lazy("Enter a latitude between -90 and 90, like 51.4545"),
    ("lat", "out_of_range"): gettext_lazy("Enter a latitude between -90 and 90, like 51.4545"),
    ("long", "required"): gettext_lazy("Enter a longitude between -180 and 180, like -2.5879"),
    ("long", "invalid_number"): gettext_lazy(
        "Enter a longitude between -180 and 180, like -2.5879"
    ),
    ("long", "out_of_range"): gettext_lazy("Enter a longitude between -180 and 180, like -2.5879"),
}
# What the forms call the domain's text arguments, for the messages of _QUESTION.
_SUBJECTS: dict[str, Promise] = {
    "description": gettext_lazy("Description"),
    "address": gettext_lazy("Where it is"),
    "name": gettext_lazy("Your name"),
    "message": gettext_lazy("Your reply"),
}


def _fill(text: Promise | str, params: Mapping[str, Any]) -> str:
    return str(text) % params


def question_text(problem: Problem, *, label: str, datatype: str) -> str:
    """The message for a problem with a template question, in the active language."""
    params = {**problem.params, "label": label}
    if datatype == "date" and problem.code != "required":
        return _date_text(problem, params)
    if problem.code == "required":
        params["label_in_sentence"] = _in_sentence(label)
        return _fill(_REQUIRED.get(datatype, gettext_lazy("Answer “%(label)s”")), params)
    if problem.code in _QUESTION:
        return _fill(_QUESTION[problem.code], params)
    return _("%(label)s: %(problem)s") % {"label": label, "problem": problem.message}


def _date_text(problem: Problem, params: dict[str, Any]) -> str:
    language = get_language() or "en"
    for bound in ("earliest", "latest"):
        params[bound] = iso_date_in_words(params.get(bound, ""), language)
    if problem.code == "date_incomplete":
        text = _DATE_MISSING.get(params.get("missing", ""), _DATE["date_not_real"])
        return _fill(text, params)
    return _fill(_DATE.get(problem.code, _DATE["date_not_real"]), params)


def _in_sentence(label: str) -> str:
    """A label inside a sentence: "Child's date of birth" becomes "child's date of birth";
    "UK passport number" keeps its capitals (a second capital means a name or acronym)."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def error_parts(problem: Problem) -> tuple[str, ...]:
    """Which parts of a date input a problem is about (empty: the whole question)."""
    return tuple(p for p in str(problem.params.get("parts", "")).split(",") if p)


def input_text(name: str, problem: Problem) -> str:
    """The message for a problem with the domain argument `name` (as core.errors names it)."""
    if (name, problem.code) in _INPUT:
        return _fill(_INPUT[name, problem.code], problem.params)
    subject = _SUBJECTS.get(name)
    if subject is not None:
        return question_text(problem, label=str(subject), datatype="text")
    return problem.message


def input_texts(exc: InvalidInput) -> dict[str, str]:
    """The first problem of each argument, worded (for forms that show one per input)."""
    return {
        name: input_text(name, problems[0]) for name, problems in exc.problems.items() if problems
    }


def has_words(name: str, code: str, *, question: bool = False) -> bool:
    """Whether this module words `code` (for the test that every code the web meets does)."""
    if question:
        return code in ("required", "date_incomplete") or code in _QUESTION or code in _DATE
    return (name, code) in _INPUT or (name in _SUBJECTS and code in _QUESTION)
