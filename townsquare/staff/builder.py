"""The no-code service builder: council admins start a service (from scratch, the shipped
library or another council's published template), edit its fields, workflow, rules and
messages with a preview of the citizen form, export and import YAML, and publish."""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.accounts import policies
from townsquare.catalogue import editing
from townsquare.catalogue.builder import (
    draft_changes_own_service,
    draft_delete,
    draft_from_library,
    draft_from_scratch,
    draft_from_service,
    draft_from_yaml,
    draft_get,
    draft_problems,
    draft_publish,
    draft_target,
    draft_update,
    library_templates,
    service_set_active,
    versions_of,
)
from townsquare.catalogue.documents import (
    MAX_TEMPLATE_YAML,
    TemplateFileError,
    dump_template_yaml,
    parse_template_yaml,
)
from townsquare.catalogue.models import ServiceDraft, ServiceTemplate
from townsquare.catalogue.questions import questions_for
from townsquare.catalogue.schema import DATATYPES, FMS_STATUSES, ROLES
from townsquare.catalogue.selectors import (
    service_drafts_of_council,
    service_of_council,
    services_of_council,
    services_of_other_councils,
)
from townsquare.core.errors import Conflict, DomainError, InvalidInput, NotFound
from townsquare.core.numbers import whole_number
from townsquare.councils.selectors import teams_of_council
from townsquare.staff.access import staff_render, staff_view
from townsquare.staff.diagram import workflow_diagram

CALENDAR_LABELS = {
    "working_days": "working hours: the clock stops at weekends and on bank holidays",
    "office_hours": "office hours, 9am to 5pm on working days",
    "elapsed": "every hour, nights and weekends included",
}
SECTIONS = (
    ("basics", "Basics"),
    ("fields", "Questions"),
    ("workflow", "Workflow"),
    ("rules", "Time limits, routing and privacy"),
    ("messages", "Messages"),
    ("welsh", "Welsh"),
    ("preview", "Preview"),
    ("yaml", "YAML"),
)
DATATYPE_LABELS = {
    "string": "Short text",
    "text": "Long text",
    "number": "Number",
    "datetime": "Date and time",
    "date": "Date (day, month, year)",
    "postcode": "UK postcode",
    "singlevaluelist": "Choose one",
    "multivaluelist": "Choose any",
}
ROLE_LABELS = {
    "agent": "Agents (and everyone above)",
    "supervisor": "Supervisors and admins",
    "council_admin": "Council admins",
    "citizen": "The resident who made it",
    "system": "Townsquare itself (merges, imports)",
}
MAX_YAML = MAX_TEMPLATE_YAML


def _admin_view(view):
    return staff_view(policies.can_manage_services)(view)


@require_safe
@_admin_view
def index(request: HttpRequest) -> HttpResponse:
    council = request.staff.council
    return staff_render(
        request,
        "staff/builder/index.html",
        {
            "services": services_of_council(council_id=council.id),
            "drafts": service_drafts_of_council(council_id=council.id),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@_admin_view
def new(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    errors: dict[str, str] = {}
    posted: dict[str, Any] = {}
    if request.method == "POST":
        start = request.POST.get("start", "")
        posted = request.POST.dict()
        try:
            if start == "scratch":
                draft = draft_from_scratch(
                    council=staff.council,
                    code=posted.get("code", "").strip(),
                    name=posted.get("name", ""),
                    kind=posted.get("kind", ""),
                    actor=staff.principal,
                )
            elif start == "library":
                draft = draft_from_library(
                    council=staff.council, file_name=posted.get("file", ""), actor=staff.principal
                )
            elif start == "copy":
                service_id = posted.get("service", "")
                draft = draft_from_service(
                    council=staff.council,
                    service_id=whole_number(service_id) or 0,
                    actor=staff.principal,
                )
            else:
                raise InvalidInput({"start": ["Choose how to start"]})
            return redirect("staff:builder_draft", draft_id=draft.id)
        except InvalidInput as exc:
            errors = {f"{start}_{k}": v[0] for k, v in exc.errors.items()}
        except NotFound as exc:
            errors = {f"{start}_choice": exc.message}
    others = services_of_other_councils(council_id=staff.council.id)
    return staff_render(
        request,
        "staff/builder/new.html",
        {
            "library": [
                (name, doc["name"], doc["kind"], doc["group"]) for name, doc in library_templates()
            ],
            "others": others,
            "errors": errors,
            "posted": posted,
        },
        status=400 if errors else 200,
    )


@require_POST
@_admin_view
def import_yaml(request: HttpRequest) -> HttpResponse:
    """A new draft from an uploaded or pasted YAML template (refused, problem by problem,
    when it is not a valid template)."""
    staff = request.staff
    text, problems = _posted_yaml(request)
    if not problems:
        try:
            document = parse_template_yaml(text, source="the file")
        except TemplateFileError as exc:
            problems = [str(p) for p in exc.problems]
        else:
            draft = draft_from_yaml(council=staff.council, document=document, actor=staff.principal)
            return redirect("staff:builder_draft", draft_id=draft.id)
    return staff_render(
        request,
        "staff/builder/index.html",
        {
            "services": services_of_council(council_id=staff.council.id),
            "drafts": service_drafts_of_council(council_id=staff.council.id),
            "import_problems": problems,
            "import_text": text[:MAX_YAML],
        },
        status=400,
    )


def _posted_yaml(request: HttpRequest) -> tuple[str, list[str]]:
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > MAX_YAML:
            return "", [f"The file is larger than {MAX_YAML // 1000} KB"]
        try:
            return upload.read().decode("utf-8"), []
        except UnicodeDecodeError:
            return "", ["The file is not UTF-8 text"]
    text = request.POST.get("yaml", "")
    if not text.strip():
        return "", ["Choose a YAML file or paste the template"]
    if len(text) > MAX_YAML:
        return "", [f"The template is longer than {MAX_YAML // 1000} KB"]
    return text, []


def _draft(request: HttpRequest, draft_id: int) -> ServiceDraft:
    try:
        return draft_get(
            council=request.staff.council, draft_id=draft_id, actor=request.staff.principal
        )
    except NotFound:
        raise Http404("No such draft") from None


_PATH_PART = re.compile(r"(\w+)(?:\[(\d+)\])?")


def _describe_problem(path: str, document: dict[str, Any]) -> tuple[str, str]:
    """(section, a readable place) for a problem path like fields[2].values[0].key."""
    parts = _PATH_PART.findall(path or "")
    if not parts:
        return "basics", "The template"
    head, index = parts[0]
    if head == "fields" and index:
        raw = document.get("fields") or []
        i = int(index)
        label = raw[i].get("label", "") if i < len(raw) and isinstance(raw[i], dict) else ""
        rest = ".".join(p for p, _ in parts[1:])
        return "fields", f"Question {i + 1}{f' (“{label}”)' if label else ''}" + (
            f", {rest.replace('_', ' ')}" if rest else ""
        )
    if head == "workflow":
        return "workflow", path.replace("workflow.", "Workflow: ")
    if head in ("sla", "routing", "privacy", "retention"):
        return "rules", path.replace("_", " ")
    if head == "translations":
        return "welsh", path.replace("translations.cy", "Welsh").replace("translations.", "")
    return "basics", path.replace("_", " ")


def _preview(document: dict[str, Any], *, pending: str = "") -> dict[str, Any]:
    """What the preview shows: the citizen form's own question components (catalogue.questions,
    drawn by report/question.html) for every field that is whole enough to draw. `pending`
    names the code of a question being typed but not yet saved."""
    items = []
    specs = [
        f
        for f in document.get("fields") or []
        if isinstance(f, dict)
        and all(isinstance(f.get(k), str) and f.get(k) for k in ("code", "label", "datatype"))
        and all(isinstance(v, dict) and "key" in v and "name" in v for v in f.get("values") or [])
    ]
    # Ids of their own, apart from the preview's fixed ones (preview-heading, preview-place).
    questions = questions_for(specs, None, prefix="preview-q-")
    by_code = {f["code"]: f for f in specs}
    for question in questions:
        show_if = by_code[question.code].get("show_if")
        items.append(
            {
                "q": question,
                "show_if": show_if if isinstance(show_if, dict) else None,
                "pending": question.code == pending,
            }
        )
    return {
        "kind": document.get("kind"),
        "name": document.get("name", ""),
        "description": document.get("description", ""),
        "items": items,
    }


def _context(
    request: HttpRequest,
    draft: ServiceDraft,
    section: str,
    *,
    errors: dict[str, str] | None = None,
    posted: dict[str, Any] | None = None,
    conflict: str = "",
) -> dict[str, Any]:
    document = draft.document
    problems = [(*_describe_problem(p.path, document), p.reason) for p in draft_problems(draft)]
    workflow = document.get("workflow") if isinstance(document.get("workflow"), dict) else {}
    fields = sorted(
        [f for f in document.get("fields") or [] if isinstance(f, dict)],
        key=lambda f: f.get("order", 0),
    )
    names = {
        s.get("code"): s.get("name") or s.get("code")
        for s in workflow.get("states") or []
        if isinstance(s, dict)
    }
    transitions = []
    for i, t in enumerate(workflow.get("transitions") or []):
        sources = [t.get("from")] if isinstance(t.get("from"), str) else t.get("from") or []
        transitions.append(
            {
                "index": i,
                "name": t.get("name", ""),
                "from": [names.get(c, c) for c in sources],
                "to": names.get(t.get("to"), t.get("to")),
                "roles": [ROLE_LABELS.get(r, r) for r in t.get("roles", [])],
            }
        )
    teams = [(t.code, t.name) for t in teams_of_council(council_id=draft.council_id)]
    changes_own = draft_changes_own_service(draft)
    return {
        "draft": draft,
        "doc": document,
        "code_editable": not changes_own,
        "target": draft_target(draft) if changes_own else None,
        "section": section,
        "sections": SECTIONS,
        "problems": problems,
        "fields": fields,
        "states": workflow.get("states") or [],
        "initial": workflow.get("initial", ""),
        "transitions": transitions,
        "diagram": workflow_diagram(workflow) if workflow else None,
        "teams": teams,
        "datatypes": [(d, DATATYPE_LABELS[d]) for d in DATATYPES],
        "fms_statuses": FMS_STATUSES,
        "roles": [(r, ROLE_LABELS[r]) for r in ROLES],
        "errors": errors or {},
        "posted": posted or {},
        "conflict": conflict,
        "yaml_text": (posted or {}).get("yaml") or _safe_yaml(document),
        "keywords": ", ".join(document.get("keywords") or []),
        "edit_index": request.GET.get("edit", ""),
        "preview": _preview(document),
        "welsh": _welsh(draft, posted or {}) if section == "welsh" else None,
    }


def _welsh(draft: ServiceDraft, posted: dict[str, Any]) -> dict[str, Any]:
    """The Welsh section: each English text beside its translation (what was typed, when the
    form came back with a problem), flagging those whose English this draft changed."""
    document = draft.document
    target = draft_target(draft) if draft_changes_own_service(draft) else None
    published = target.current_version.document if target and target.current_version else None
    to_check = editing.translations_to_check(document, published, "cy")
    rows = editing.translation_rows(document, "cy")
    for row in rows:
        row["check"] = row["name"] in to_check
        if posted.get("op") == "translation":
            row["value"] = posted.get(row["name"], "")
    return {
        "rows": rows,
        "done": sum(1 for r in rows if r["value"].strip()),
        "total": len(rows),
        "to_check": len(to_check),
    }


def _safe_yaml(document: Any) -> str:
    try:
        return dump_template_yaml(document)
    except yaml.YAMLError:
        return ""


@require_safe
@_admin_view
def draft_page(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    section = request.GET.get("section", "basics")
    if section not in dict(SECTIONS):
        section = "basics"
    return staff_render(request, "staff/builder/draft.html", _context(request, draft, section))


PREVIEW_CODE = "question_being_written"


@require_POST
@_admin_view
def draft_preview(request: HttpRequest, draft_id: int) -> HttpResponse:
    """The preview with the question in the field form as typed so far, nothing saved: the
    builder's script asks for it as the admin types (without JavaScript the preview follows
    each save instead)."""
    draft = _draft(request, draft_id)
    data: dict[str, Any] = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    op = data.get("op", "")
    data["code"] = data.get("code", "").strip() or PREVIEW_CODE
    data["label"] = data.get("label", "").strip() or "Your question"
    document, pending = draft.document, ""
    try:
        if op == "field_add":
            document, pending = editing.field_add(draft.document, data), data["code"]
        elif op == "field_update":
            index = _raw_index(draft.document, _index(data.get("index", "")))
            document = editing.field_update(draft.document, index, data)
            pending = data["code"]
    except InvalidInput:
        pass  # not yet a whole question (a choice without a name, say): show what is saved
    return render(
        request, "staff/builder/preview.html", {"preview": _preview(document, pending=pending)}
    )


def _index(value: str) -> int:
    number = whole_number(value)
    return -1 if number is None else number


@require_POST
@_admin_view
def draft_edit(request: HttpRequest, draft_id: int) -> HttpResponse:
    """Every change to a draft: `op` names it; the page comes back with the change saved, or
    with the form's errors beside its fields and what was typed kept."""
    staff = request.staff
    draft = _draft(request, draft_id)
    op = request.POST.get("op", "")
    section = request.POST.get("section", "basics")
    index = _index(request.POST.get("index", ""))
    data: dict[str, Any] = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    for multi in ("from", "roles"):
        data[multi] = request.POST.getlist(multi)
    revision = _index(request.POST.get("revision", ""))
    revision = revision if revision >= 0 else None
    doc = draft.document
    try:
        if op == "publish":
            version = draft_publish(draft=draft, actor=staff.principal, expected_revision=revision)
            request.session["staff.builder_notice"] = (
                f"{version.template.name} version {version.number} is published. New cases "
                "use it; open cases keep the version they were made under."
            )
            return redirect("staff:builder_service", service_id=version.template_id)
        if op == "delete":
            draft_delete(draft=draft, actor=staff.principal)
            return redirect("staff:builder")
        ops = {
            "basics": lambda: editing.basics_update(
                doc, data, code_editable=not draft_changes_own_service(draft)
            ),
            "rules": lambda: editing.rules_update(
                doc,
                data,
                team_codes=[t.code for t in teams_of_council(council_id=draft.council_id)],
            ),
            "field_add": lambda: editing.field_add(doc, data),
            "field_update": lambda: editing.field_update(doc, _raw_index(doc, index), data),
            "field_up": lambda: editing.field_move(doc, index, -1),
            "field_down": lambda: editing.field_move(doc, index, 1),
            "field_remove": lambda: editing.field_remove(doc, index),
            "state_add": lambda: editing.state_add(doc, data),
            "state_update": lambda: editing.state_update(doc, index, data),
            "state_remove": lambda: editing.state_remove(doc, index),
            "initial": lambda: editing.initial_set(doc, data.get("initial", "")),
            "transition_add": lambda: editing.transition_add(doc, data),
            "transition_remove": lambda: editing.transition_remove(doc, index),
            "messages": lambda: _messages_update(doc, request),
            "translation": lambda: editing.translation_update(doc, "cy", data),
            "yaml": lambda: _yaml_replace(request),
        }
        if op not in ops:
            raise InvalidInput("Unknown change")
        document = ops[op]()
        draft_update(
            draft=draft,
            document=document,
            actor=staff.principal,
            expected_revision=revision,
            what=op,
        )
    except Conflict as exc:
        fresh = _draft(request, draft_id)
        return staff_render(
            request,
            "staff/builder/draft.html",
            _context(request, fresh, section, posted={**data, "op": op}, conflict=exc.message),
            status=409,
        )
    except InvalidInput as exc:
        errors = {f"{op}_{k}": v[0] for k, v in exc.errors.items()}
        context = _context(request, draft, section, errors=errors, posted={**data, "op": op})
        if op == "publish":
            context["publish_refused"] = True
        return staff_render(request, "staff/builder/draft.html", context, status=400)
    except DomainError as exc:
        return staff_render(
            request,
            "staff/builder/draft.html",
            _context(request, draft, section, errors={f"{op}___all__": exc.message}),
            status=403,
        )
    anchor = request.POST.get("anchor", "")
    return redirect(
        f"{request.path.rsplit('/', 1)[0]}/?section={section}"
        f"{'#' + anchor if re.fullmatch(r'[a-z0-9-]{1,40}', anchor) else ''}"
    )


def _raw_index(doc: dict[str, Any], sorted_index: int) -> int:
    """Forms number fields in the order shown; the document may list them in another."""
    fields = doc.get("fields") or []
    ordered = sorted(range(len(fields)), key=lambda i: fields[i].get("order", 0))
    return ordered[sorted_index] if 0 <= sorted_index < len(ordered) else -1


def _messages_update(doc: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    for i, state in enumerate(new["workflow"]["states"]):
        text = request.POST.get(f"message_{i}", "").replace("\r\n", "\n").strip()
        if len(text) > 4000:
            raise InvalidInput({f"message_{i}": ["A message must be 4000 characters or fewer"]})
        if text:
            state["message"] = text
        else:
            state.pop("message", None)
    return new


def _yaml_replace(request: HttpRequest) -> dict[str, Any]:
    text, problems = _posted_yaml(request)
    if problems:
        raise InvalidInput({"yaml": problems})
    try:
        return parse_template_yaml(text, source="the template")
    except TemplateFileError as exc:
        raise InvalidInput({"yaml": [str(p) for p in exc.problems]}) from None


def _yaml_response(document: dict[str, Any], name: str) -> HttpResponse:
    response = HttpResponse(
        dump_template_yaml(document), content_type="application/yaml; charset=utf-8"
    )
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "template"
    response["Content-Disposition"] = f'attachment; filename="{safe}.yaml"'
    return response


@require_safe
@_admin_view
def draft_export(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    return _yaml_response(draft.document, str(draft.document.get("code", "draft")))


def _service(request: HttpRequest, service_id: int) -> ServiceTemplate:
    try:
        return service_of_council(council_id=request.staff.council.id, service_id=service_id)
    except NotFound:
        raise Http404("No such service") from None


@require_safe
@_admin_view
def service_page(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    document = service.current_version.document if service.current_version else {}
    sla = document.get("sla") or {}
    team_code = (document.get("routing") or {}).get("team", "")
    team = next(
        (t for t in teams_of_council(council_id=service.council_id) if t.code == team_code), None
    )
    return staff_render(
        request,
        "staff/builder/service.html",
        {
            "service": service,
            "versions": versions_of(service=service),
            "notice": request.session.pop("staff.builder_notice", ""),
            "diagram": workflow_diagram(document.get("workflow", {})),
            "doc": document,
            "calendar": CALENDAR_LABELS.get(sla.get("calendar", "working_days"), ""),
            "team": team.name if team else team_code,
        },
    )


@require_safe
@_admin_view
def service_export(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    return _yaml_response(service.current_version.document, service.code)


@require_POST
@_admin_view
def service_edit(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    draft = draft_from_service(
        council=request.staff.council, service_id=service.id, actor=request.staff.principal
    )
    return redirect("staff:builder_draft", draft_id=draft.id)


@require_POST
@_admin_view
def service_availability(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    service_set_active(
        service=service, active=request.POST.get("active") == "yes", actor=request.staff.principal
    )
    return redirect("staff:builder_service", service_id=service.id)
