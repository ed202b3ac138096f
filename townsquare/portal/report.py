"""Report a problem, without JavaScript: choose a council, then the problem, then one form page.

The form places the report by ward and a description of the place (the case is marked as
approximately located); the map comes later. Every rule about the report itself is checked by
`case_create`; this module only turns the form into its arguments and its errors into the
GOV.UK error summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from townsquare.accounts.principal import Principal
from townsquare.cases.selectors import public_case_by_reference
from townsquare.cases.services import MAX_DESCRIPTION, Reporter, case_check, case_create
from townsquare.catalogue.fields import DEFAULT_MAX_LENGTH, clean_field_values
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.selectors import service_get, services_for_council
from townsquare.core.errors import InvalidInput, NotFound
from townsquare.councils.models import Council
from townsquare.councils.selectors import council_get, council_list

MAX_PLACE = 300
MAX_NAME = 200
# Where each error of case_create is shown on the form (template fields use "field-<code>").
_ERROR_TARGETS = {"location": "place", "address": "place", "area": "area",
                  "description": "description", "email": "email", "phone": "phone",
                  "name": "name"}


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

    @property
    def id(self) -> str:
        return f"field-{self.code}"

    @property
    def described_by(self) -> str:
        """The ids of its hint and error, for aria-describedby."""
        return " ".join(([f"{self.id}-hint"] if self.hint else [])
                        + ([f"{self.id}-error"] if self.error else []))


def _council_or_404(slug: str) -> Council:
    try:
        return council_get(slug=slug)
    except NotFound:
        raise Http404(_("We cannot find that council")) from None


def _report_services(council: Council) -> list[ServiceTemplate]:
    return services_for_council(council=council, kind="report", include_private=False)


@require_GET
def councils(request: HttpRequest) -> HttpResponse:
    return render(request, "report/councils.html", {"councils": council_list()})


@require_GET
def services(request: HttpRequest, slug: str) -> HttpResponse:
    council = _council_or_404(slug)
    groups: dict[str, list[ServiceTemplate]] = {}
    for service in _report_services(council):
        groups.setdefault(service.group, []).append(service)
    return render(request, "report/services.html", {
        "page_council": council, "council": council, "groups": sorted(groups.items()),
    })


@csrf_protect
@require_http_methods(["GET", "POST"])
def form(request: HttpRequest, slug: str, service_code: str) -> HttpResponse:
    council = _council_or_404(slug)
    if service_code not in {s.code for s in _report_services(council)}:
        raise Http404(_("This council does not take reports of that kind online"))
    service = service_get(council=council, code=service_code)
    document = service.current_version.document
    data = request.POST if request.method == "POST" else None
    questions = _questions(document["fields"], data)
    own: dict[str, str] = {}
    domain: dict[str, list[str]] = {}
    if data is not None:
        own = _form_errors(data)
        arguments = _arguments(council, service_code, questions, data)
        try:
            if not own:
                return _see_other(case_create(**arguments).reference)
            # The form is refused anyway: list the answers' problems too, then whatever else
            # case_create would refuse first.
            domain = _field_problems(document["fields"], arguments["values"])
            case_check(**arguments)
        except InvalidInput as exc:
            for key, messages in exc.errors.items():
                domain.setdefault(key, messages)
        except NotFound:
            raise Http404(_("This council does not take reports of that kind online")) from None
    summary = _error_summary(own, domain, questions)
    context = {
        "page_council": council, "council": council, "service": service,
        "intro": document.get("description", ""),
        "questions": questions,
        "areas": list(council.areas.order_by("name").values_list("id", "name")),
        "data": data or {},
        "errors": {target: message for target, message, _first in summary},
        "error_summary": [(f"#{first}", message) for _target, message, first in summary],
        "max_place": MAX_PLACE, "max_description": MAX_DESCRIPTION, "max_name": MAX_NAME,
    }
    return render(request, "report/form.html", context, status=400 if summary else 200)


def _see_other(reference: str) -> HttpResponse:
    response = redirect("portal:report_done", reference=reference)
    response.status_code = 303
    return response


@require_GET
def done(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        listing = public_case_by_reference(reference=reference.upper())
    except NotFound:
        raise Http404(_("We cannot find a public request with that reference")) from None
    row = listing.rows[0]
    version = listing.versions[row["service_version_id"]]
    close_hours = version.document["sla"]["close_hours"]
    days = max(1, -(-close_hours // 24))
    council = listing.councils[row["council_id"]]
    return render(request, "report/done.html", {
        "page_council": council, "council": council, "reference": row["reference"],
        "service_name": listing.services[row["service_id"]].name,
        "expected": ngettext("within %(days)d day", "within %(days)d days", days)
        % {"days": days},
        "expected_at": row["resolve_due_at"] if row["is_open"] else None,
    })


# Reading the form.

def _questions(fields: Iterable[dict[str, Any]], data: Any) -> list[Question]:
    """The template's fields a resident answers, in order, with what they typed."""
    questions = []
    for spec in sorted(fields, key=lambda f: f.get("order", 0)):
        if spec.get("automated"):
            continue  # filled in by Townsquare or by an app, never asked on this form
        datatype = spec["datatype"]
        question = Question(
            code=spec["code"], label=spec["label"], datatype=datatype,
            hint=_hint(spec), required=bool(spec.get("required")),
            private=bool(spec.get("private")),
            max_length=spec.get("max_length", DEFAULT_MAX_LENGTH.get(datatype)),
            min=spec.get("min"), max=spec.get("max"),
        )
        name = question.id
        chosen = set(data.getlist(name)) if data is not None else set()
        if datatype in ("singlevaluelist", "multivaluelist"):
            for i, option in enumerate(spec.get("values", [])):
                question.options.append({
                    "id": name if i == 0 else f"{name}-{i + 1}",
                    "key": option["key"], "name": option["name"],
                    "checked": option["key"] in chosen,
                })
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
        parts.append(_("A number from %(min)s to %(max)s.")
                     % {"min": f"{low:g}", "max": f"{high:g}"})
    elif datatype == "number" and low is not None:
        parts.append(_("A number, at least %(min)s.") % {"min": f"{low:g}"})
    elif datatype == "number" and high is not None:
        parts.append(_("A number, at most %(max)s.") % {"max": f"{high:g}"})
    if spec.get("private"):
        parts.append(_("Only the council will see this answer."))
    return " ".join(part for part in parts if part)


def _values(questions: list[Question], data: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for question in questions:
        if question.datatype == "multivaluelist":
            values[question.code] = [v for v in data.getlist(question.id) if v]
        elif question.datatype == "datetime":
            values[question.code] = _datetime_value(data.get(question.id, ""))
        else:
            values[question.code] = data.get(question.id, "").strip()
    return values


def _datetime_value(raw: str) -> str:
    """A date and time as typed ("2026-03-02 07:30"), in the site's time zone unless it says
    otherwise; anything unreadable is passed on as typed for case_create to refuse."""
    text = raw.strip()
    try:
        value = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return text
    if value.tzinfo is None:
        value = timezone.make_aware(value)
    return value.isoformat()


def _field_problems(fields: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, list[str]]:
    try:
        clean_field_values(fields, values)
    except InvalidInput as exc:
        return dict(exc.errors)
    return {}


def _form_errors(data: Any) -> dict[str, str]:
    """What this form itself asks for (a description of the place and a way to reply), by the
    id of the input to correct."""
    errors: dict[str, str] = {}
    area = data.get("area", "").strip()
    if area and not area.isdigit():
        errors["area"] = _("Select a ward from the list")
    if not data.get("place", "").strip():
        errors["place"] = _("Describe where the problem is, for example Outside 4 Mill Lane")
    if not data.get("email", "").strip() and not data.get("phone", "").strip():
        errors["email"] = _("Enter an email address or a phone number so the council can "
                            "contact you about this report")
    return errors


def _arguments(council: Council, service_code: str, questions: list[Question],
               data: Any) -> dict[str, Any]:
    area = data.get("area", "").strip()
    return {
        "service_code": service_code, "actor": Principal.anonymous(), "council": council,
        "area_id": int(area) if area.isdigit() else None,
        "address": data.get("place", ""),
        "values": _values(questions, data),
        "description": data.get("description", ""),
        "reporter": Reporter(name=data.get("name", ""), email=data.get("email", ""),
                             phone=data.get("phone", ""),
                             name_public=data.get("name_public") == "yes"),
        "channel": "web",
    }


# Showing errors.

def _error_summary(own: dict[str, str], domain: dict[str, list[str]],
                   questions: list[Question]) -> list[tuple[str, str, str]]:
    """(target, message, id of the element to focus) per problem, in the order of the page."""
    by_code = {q.code: q for q in questions}
    found: dict[str, tuple[str, str]] = {target: (message, target)
                                         for target, message in own.items()}
    for key, messages in domain.items():
        if not messages:
            continue
        question = by_code.get(key)
        if question is not None:
            message = _question_message(question, messages[0])
            question.error = message
            found.setdefault(question.id, (message, _first_input(question)))
        elif key in _ERROR_TARGETS:
            target = _ERROR_TARGETS[key]
            found.setdefault(target, (_own_message(key, messages[0]), target))
        else:
            found.setdefault("report-form", (messages[0], "report-form"))
    order = (["area", "place"] + [q.id for q in questions]
             + ["description", "email", "phone", "name", "report-form"])
    return [(target, *found[target]) for target in order if target in found]


def _first_input(question: Question) -> str:
    return question.options[0]["id"] if question.options else question.id


def _question_message(question: Question, problem: str) -> str:
    if problem == f"{question.code} required":
        if question.datatype == "singlevaluelist":
            return _("Select an answer for “%(label)s”") % {"label": question.label}
        if question.datatype == "multivaluelist":
            return _("Select at least one answer for “%(label)s”") % {"label": question.label}
        return _("Answer “%(label)s”") % {"label": question.label}
    # Lists can only be wrong when the form was tampered with; say what to do, not what came.
    if question.datatype == "singlevaluelist":
        return _("Select one of the answers listed for “%(label)s”") % {"label": question.label}
    if question.datatype == "multivaluelist":
        return _("Select only answers listed for “%(label)s”") % {"label": question.label}
    if question.datatype == "datetime":
        return _("Enter “%(label)s” as a date and time, for example 2026-03-02 07:30") % {
            "label": question.label}
    return _("%(label)s: %(problem)s") % {"label": question.label, "problem": problem}


def _own_message(key: str, problem: str) -> str:
    if key == "email":
        return _("Enter an email address in the correct format, like name@example.com")
    if key == "phone":
        return _("Enter a phone number, like 01632 960 001 or +44 7700 900 982")
    subjects = {
        "location": _("Where it is"), "address": _("Where it is"), "area": _("Ward"),
        "description": _("Description"), "name": _("Your name"),
    }
    if key in subjects:
        return _("%(label)s: %(problem)s") % {"label": subjects[key], "problem": problem}
    return problem
