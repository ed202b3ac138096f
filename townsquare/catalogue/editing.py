"""Pure edits of a template document for the no-code service builder.

Each function takes a document (not changed) and the values a form sent, and returns the new
document, or raises InvalidInput naming the form field at fault. Whole-template rules (unique
orders, reachable states...) are left to schema.template_problems, shown beside the editor.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from townsquare.catalogue import dates
from townsquare.catalogue.autocomplete import autocomplete_problem
from townsquare.catalogue.schema import DATATYPES, FMS_STATUSES, ROLES
from townsquare.catalogue.translations import translations_pruned
from townsquare.core.errors import InvalidInput

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_PUBLIC_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
LIST_TYPES = ("singlevaluelist", "multivaluelist")
CALENDARS = ("working_days", "office_hours", "elapsed")


def blank_template(*, code: str, name: str, kind: str) -> dict[str, Any]:
    """A small valid template to start from scratch: three states, two transitions."""
    errors: dict[str, list[str]] = {}
    if not _PUBLIC_CODE.match(code or ""):
        errors["code"] = ["Use letters, digits, _ and - (for example street_bins), at most 64"]
    if not (name or "").strip() or len(name) > 200:
        errors["name"] = ["Enter a name of 1 to 200 characters"]
    if kind not in ("report", "application"):
        errors["kind"] = ["Choose report or application"]
    if errors:
        raise InvalidInput(errors)
    return {
        "code": code,
        "name": name.strip(),
        "group": "Other",
        "description": f"Tell us about {name.strip().lower()}.",
        "kind": kind,
        "open311": {"type": "realtime"},
        "fields": [],
        "workflow": {
            "initial": "submitted",
            "states": [
                {
                    "code": "submitted",
                    "name": "Submitted",
                    "public": True,
                    "open311": "open",
                    "fms": "open",
                    "message": "Thank you. We have received it.",
                },
                {
                    "code": "in_progress",
                    "name": "In progress",
                    "public": True,
                    "open311": "open",
                    "fms": "in_progress",
                    "message": "We are working on it.",
                },
                {
                    "code": "closed",
                    "name": "Closed",
                    "public": True,
                    "open311": "closed",
                    "fms": "closed",
                    "message": "We have finished dealing with it.",
                },
            ],
            "transitions": [
                {
                    "name": "Start work",
                    "from": "submitted",
                    "to": "in_progress",
                    "roles": ["agent"],
                },
                {
                    "name": "Close",
                    "from": ["submitted", "in_progress"],
                    "to": "closed",
                    "roles": ["agent"],
                },
            ],
        },
        "sla": {"first_response_hours": 24, "close_hours": 120, "calendar": "working_days"},
        "routing": {"team": "general"},
        "privacy": "public" if kind == "report" else "private",
        "retention": {"days_after_close": 730},
    }


def _text(
    data: dict[str, Any],
    key: str,
    *,
    required: bool = False,
    limit: int = 4000,
    errors: dict[str, list[str]],
    label: str = "",
) -> str:
    value = str(data.get(key, "") or "").replace("\r\n", "\n").strip()
    if required and not value:
        errors[key] = [f"Enter {label or key.replace('_', ' ')}"]
    elif len(value) > limit:
        errors[key] = [f"{(label or key).capitalize()} must be {limit} characters or fewer"]
    return value


def _number(
    data: dict[str, Any],
    key: str,
    *,
    errors: dict[str, list[str]],
    label: str,
    required: bool = False,
    integer: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float | int | None:
    raw = str(data.get(key, "") or "").strip()
    if not raw:
        if required:
            errors[key] = [f"Enter {label}"]
        return None
    try:
        value: float | int = int(raw) if integer else float(raw)
    except ValueError:
        errors[key] = [f"{label.capitalize()} must be a {'whole ' if integer else ''}number"]
        return None
    if not integer and float(value).is_integer():
        value = int(value)
    if minimum is not None and value < minimum:
        errors[key] = [f"{label.capitalize()} must be {minimum:g} or more"]
    elif maximum is not None and value > maximum:
        errors[key] = [f"{label.capitalize()} must be {maximum:g} or less"]
    return value


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise InvalidInput(errors)


def basics_update(
    document: dict[str, Any], data: dict[str, Any], *, code_editable: bool = False
) -> dict[str, Any]:
    """The name, group, description, keywords and kinds; the code too while the draft is a new
    service (a published service's code is its identity in URLs, Open311 and open data)."""
    doc = copy.deepcopy(document)
    errors: dict[str, list[str]] = {}
    if code_editable and "code" in data:
        code = str(data.get("code", "")).strip()
        if not _PUBLIC_CODE.match(code):
            errors["code"] = ["Use letters, digits, _ and - (for example street_bins), at most 64"]
        else:
            doc["code"] = code
    doc["name"] = _text(data, "name", required=True, limit=200, errors=errors, label="a name")
    doc["group"] = _text(data, "group", required=True, limit=100, errors=errors, label="a group")
    doc["description"] = _text(
        data, "description", required=True, errors=errors, label="a description"
    )
    keywords = [k.strip() for k in str(data.get("keywords", "")).split(",") if k.strip()]
    if any(len(k) > 50 for k in keywords):
        errors["keywords"] = ["Each keyword must be 50 characters or fewer"]
    if keywords:
        doc["keywords"] = keywords
    else:
        doc.pop("keywords", None)
    kind = data.get("kind", doc.get("kind"))
    if kind not in ("report", "application"):
        errors["kind"] = ["Choose report or application"]
    else:
        doc["kind"] = kind
    open311 = data.get("open311_type", "realtime")
    if open311 not in ("realtime", "batch", "blackbox"):
        errors["open311_type"] = ["Choose realtime, batch or blackbox"]
    else:
        doc["open311"] = {"type": open311}
    _raise(errors)
    return doc


def rules_update(
    document: dict[str, Any], data: dict[str, Any], *, team_codes: list[str]
) -> dict[str, Any]:
    """SLA, routing, privacy and retention."""
    doc = copy.deepcopy(document)
    errors: dict[str, list[str]] = {}
    first = _number(
        data,
        "first_response_hours",
        errors=errors,
        required=True,
        label="the hours to a first response",
        minimum=0.1,
        maximum=87600,
    )
    close = _number(
        data,
        "close_hours",
        errors=errors,
        required=True,
        label="the hours to close",
        minimum=0.1,
        maximum=87600,
    )
    if first is not None and close is not None and first > close:
        errors["close_hours"] = ["The time to close must be at least the time to respond"]
    calendar = data.get("calendar", "working_days")
    if calendar not in CALENDARS:
        errors["calendar"] = ["Choose which hours count"]
    team = str(data.get("team", ""))
    if team not in team_codes:
        errors["team"] = ["Choose one of the council's teams"]
    privacy = data.get("privacy")
    if privacy not in ("public", "private"):
        errors["privacy"] = ["Choose public or private"]
    days = _number(
        data,
        "retention_days",
        errors=errors,
        required=True,
        integer=True,
        label="how many days to keep personal data",
        minimum=0,
        maximum=36500,
    )
    _raise(errors)
    doc["sla"] = {"first_response_hours": first, "close_hours": close, "calendar": calendar}
    doc["routing"] = {"team": team}
    doc["privacy"] = privacy
    doc["retention"] = {"days_after_close": days}
    return doc


def _parse_values(raw: str, errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """One choice per line: "key | Name shown" (or just "Name", its key made from it)."""
    values: list[dict[str, str]] = []
    for number, line in enumerate(str(raw or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        key, sep, name = line.partition("|")
        key, name = key.strip(), name.strip()
        if not sep:
            name = key
            key = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")[:64] or f"choice_{number}"
        if not _PUBLIC_CODE.match(key) or not name:
            errors["values"] = [
                f"Line {number}: write each choice as “key | Name”, with a "
                "key of letters, digits, _ or -"
            ]
            return values
        values.append({"key": key, "name": name})
    return values


def field_from_form(
    data: dict[str, Any], *, existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    code = str(data.get("code", "")).strip()
    if not _PUBLIC_CODE.match(code):
        errors["code"] = ["Enter a code of letters, digits, _ and - (for example depth_cm)"]
    field: dict[str, Any] = {"code": code}
    field["label"] = _text(
        data, "label", required=True, limit=300, errors=errors, label="the question"
    )
    datatype = data.get("datatype", "")
    if datatype not in DATATYPES:
        errors["datatype"] = ["Choose the kind of answer"]
    field["datatype"] = datatype
    if data.get("required") in ("yes", "on", True):
        field["required"] = True
    help_text = _text(data, "help", limit=2000, errors=errors)
    if help_text:
        field["help"] = help_text
    if data.get("private") in ("yes", "on", True):
        field["private"] = True
    if existing and "order" in existing:
        field["order"] = existing["order"]
    if existing and "show_if" in existing:
        field["show_if"] = existing["show_if"]
    if existing and "automated" in existing:
        field["automated"] = existing["automated"]
    if datatype in LIST_TYPES:
        values = _parse_values(data.get("values", ""), errors)
        if not values and "values" not in errors:
            errors["values"] = ["Give at least one choice, one per line"]
        field["values"] = values
    if datatype == "number":
        low = _number(data, "min", errors=errors, label="the smallest answer")
        high = _number(data, "max", errors=errors, label="the largest answer")
        if low is not None:
            field["min"] = low
        if high is not None:
            field["max"] = high
        if low is not None and high is not None and low > high:
            errors["max"] = ["The largest answer must be at least the smallest"]
    if datatype in ("string", "text"):
        longest = _number(
            data,
            "max_length",
            errors=errors,
            integer=True,
            label="the longest answer",
            minimum=1,
            maximum=100000,
        )
        if longest is not None:
            field["max_length"] = longest
    if datatype == "date":
        for key, label in (("earliest", "earliest date"), ("latest", "latest date")):
            bound = str(data.get(key) or "").strip()[:40]
            if not bound:
                continue
            reason = dates.bound_problem(bound)
            if reason:
                errors[key] = [f"Enter the {label} as 2015-09-01, today, 4 years ago or in 2 weeks"]
            field[key] = bound
    purpose = str(data.get("autocomplete") or "").strip()[:100]
    if purpose:
        field["autocomplete"] = purpose
        if datatype in DATATYPES and (reason := autocomplete_problem(field)):
            errors["autocomplete"] = [reason[:1].upper() + reason[1:]]
    _raise(errors)
    return field


def _renumber(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for i, field in enumerate(fields, start=1):
        field["order"] = i
    return fields


def field_add(document: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    field = field_from_form(data)
    if any(f["code"] == field["code"] for f in doc["fields"]):
        raise InvalidInput({"code": [f"A field called {field['code']!r} exists already"]})
    ordered = sorted(doc["fields"], key=lambda f: f.get("order", 0))
    doc["fields"] = _renumber([*ordered, field])
    return doc


def field_update(document: dict[str, Any], index: int, data: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    if not 0 <= index < len(doc["fields"]):
        raise InvalidInput("That field no longer exists; reload the page")
    field = field_from_form(data, existing=doc["fields"][index])
    if any(f["code"] == field["code"] for i, f in enumerate(doc["fields"]) if i != index):
        raise InvalidInput({"code": [f"A field called {field['code']!r} exists already"]})
    doc["fields"][index] = field
    return translations_pruned(doc)


def field_move(document: dict[str, Any], index: int, offset: int) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    fields = sorted(doc["fields"], key=lambda f: f.get("order", 0))
    target = index + offset
    if 0 <= index < len(fields) and 0 <= target < len(fields):
        fields[index], fields[target] = fields[target], fields[index]
    doc["fields"] = _renumber(fields)
    return doc


def field_remove(document: dict[str, Any], index: int) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    fields = sorted(doc["fields"], key=lambda f: f.get("order", 0))
    if 0 <= index < len(fields):
        removed = fields.pop(index)
        for other in fields:  # conditions on the removed field would point at nothing
            if other.get("show_if", {}).get("field") == removed["code"]:
                other.pop("show_if")
    doc["fields"] = _renumber(fields)
    return translations_pruned(doc)


def state_from_form(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    code = str(data.get("code", "")).strip()
    if not _CODE.match(code):
        errors["code"] = [
            "Enter a code of lower-case letters, digits and _ (for example awaiting_parts)"
        ]
    name = _text(data, "name", required=True, limit=200, errors=errors, label="a name")
    open311 = data.get("open311")
    if open311 not in ("open", "closed"):
        errors["open311"] = ["Choose whether the case is open or closed in this state"]
    fms = data.get("fms")
    if fms not in FMS_STATUSES:
        errors["fms"] = ["Choose the FixMyStreet status"]
    message = _text(data, "message", limit=4000, errors=errors)
    _raise(errors)
    state = {
        "code": code,
        "name": name,
        "public": data.get("public") in ("yes", "on", True),
        "open311": open311,
        "fms": fms,
    }
    if message:
        state["message"] = message
    return state


def state_add(document: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    state = state_from_form(data)
    if any(s["code"] == state["code"] for s in doc["workflow"]["states"]):
        raise InvalidInput({"code": [f"A state called {state['code']!r} exists already"]})
    doc["workflow"]["states"].append(state)
    return doc


def state_update(document: dict[str, Any], index: int, data: dict[str, Any]) -> dict[str, Any]:
    """Change a state's name, statuses, visibility and message (its code stays: cases and
    transitions refer to it)."""
    doc = copy.deepcopy(document)
    states = doc["workflow"]["states"]
    if not 0 <= index < len(states):
        raise InvalidInput("That state no longer exists; reload the page")
    state = state_from_form({**data, "code": states[index]["code"]})
    states[index] = state
    return doc


def state_remove(document: dict[str, Any], index: int) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    states = doc["workflow"]["states"]
    if not 0 <= index < len(states):
        return doc
    code = states[index]["code"]
    if code == doc["workflow"]["initial"]:
        raise InvalidInput(
            "The first state cannot be removed; make another state the first one before removing it"
        )
    states.pop(index)
    kept = []
    for t in doc["workflow"]["transitions"]:
        sources = [t["from"]] if isinstance(t["from"], str) else list(t["from"])
        sources = [s for s in sources if s != code]
        if t["to"] == code or not sources:
            continue
        kept.append({**t, "from": sources if len(sources) > 1 else sources[0]})
    doc["workflow"]["transitions"] = kept
    return translations_pruned(doc)


def initial_set(document: dict[str, Any], code: str) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    if code not in {s["code"] for s in doc["workflow"]["states"]}:
        raise InvalidInput({"initial": ["Choose one of the states"]})
    doc["workflow"]["initial"] = code
    return doc


def transition_add(document: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    codes = [s["code"] for s in doc["workflow"]["states"]]
    errors: dict[str, list[str]] = {}
    sources = [s for s in data.get("from", []) if s in codes]
    if not sources:
        errors["from"] = ["Choose at least one state the move starts from"]
    target = data.get("to", "")
    if target not in codes:
        errors["to"] = ["Choose the state the move goes to"]
    elif target in sources:
        errors["to"] = ["A move cannot start and end in the same state"]
    roles = [r for r in data.get("roles", []) if r in ROLES]
    if not roles:
        errors["roles"] = ["Choose who may make this move"]
    name = _text(data, "name", limit=100, errors=errors)
    existing = {
        (s, t["to"])
        for t in doc["workflow"]["transitions"]
        for s in ([t["from"]] if isinstance(t["from"], str) else t["from"])
    }
    clash = [s for s in sources if (s, target) in existing]
    if clash and "to" not in errors:
        errors["to"] = [f"There is already a move from {clash[0]!r} to {target!r}"]
    _raise(errors)
    transition: dict[str, Any] = {
        "from": sources if len(sources) > 1 else sources[0],
        "to": target,
        "roles": roles,
    }
    if name:
        transition = {"name": name, **transition}
    doc["workflow"]["transitions"].append(transition)
    return doc


def transition_remove(document: dict[str, Any], index: int) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    if 0 <= index < len(doc["workflow"]["transitions"]):
        doc["workflow"]["transitions"].pop(index)
    return doc


# Translations (ADR 63): each English text of the template, and its translation by the same
# codes. Form fields are named "t.<path>", the path inside translations.<language>.


def translation_rows(document: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """Every text a resident may read, in order: where it is, the English, the translation
    (empty when there is none) and whether it is long (a message or description)."""
    current = (document.get("translations") or {}).get(language) or {}
    rows: list[dict[str, Any]] = []

    def add(path: str, where: str, english: Any, now: Any, *, long: bool = False) -> None:
        if isinstance(english, str) and english:
            rows.append(
                {
                    "name": f"t.{path}",
                    "where": where,
                    "english": english,
                    "value": now if isinstance(now, str) else "",
                    "long": long,
                }
            )

    add("name", "Name", document.get("name"), current.get("name"))
    add("group", "Group", document.get("group"), current.get("group"))
    translated_groups = current.get("groups") or []
    for i, group in enumerate(document.get("groups") or []):
        add(
            f"groups.{i}",
            f"Also listed under ({i + 1})",
            group,
            translated_groups[i] if i < len(translated_groups) else "",
        )
    add(
        "description",
        "Description",
        document.get("description"),
        current.get("description"),
        long=True,
    )
    if document.get("keywords"):
        add(
            "keywords",
            "Search words (separate them with commas)",
            ", ".join(document["keywords"]),
            ", ".join(current.get("keywords") or []),
        )
    field_texts = current.get("fields") or {}
    for field in sorted(
        (f for f in document.get("fields") or [] if isinstance(f, dict)),
        key=lambda f: f.get("order", 0),
    ):
        code = field.get("code")
        texts = field_texts.get(code) or {}
        label = field.get("label", code)
        add(f"fields.{code}.label", f"Question “{label}”", field.get("label"), texts.get("label"))
        add(
            f"fields.{code}.help",
            f"Help text of “{label}”",
            field.get("help"),
            texts.get("help"),
            long=True,
        )
        names = texts.get("values") or {}
        for value in field.get("values") or []:
            if isinstance(value, dict):
                add(
                    f"fields.{code}.values.{value.get('key')}",
                    f"Answer “{value.get('name')}” to “{label}”",
                    value.get("name"),
                    names.get(value.get("key")),
                )
    state_texts = current.get("states") or {}
    for state in (document.get("workflow") or {}).get("states") or []:
        if not isinstance(state, dict):
            continue
        texts = state_texts.get(state.get("code")) or {}
        add(
            f"states.{state.get('code')}.name",
            f"Status “{state.get('name')}”",
            state.get("name"),
            texts.get("name"),
        )
        add(
            f"states.{state.get('code')}.message",
            f"Message when a case becomes “{state.get('name')}”",
            state.get("message"),
            texts.get("message"),
            long=True,
        )
    return rows


def translation_update(
    document: dict[str, Any], language: str, data: dict[str, Any]
) -> dict[str, Any]:
    """The translation into `language` as the form gives it: every row of translation_rows
    read from its "t.<path>" field; an empty field leaves that text in English."""
    doc = copy.deepcopy(document)
    errors: dict[str, list[str]] = {}
    translation = copy.deepcopy((doc.get("translations") or {}).get(language) or {})
    groups: list[str] = []
    group_rows = 0
    for row in translation_rows(document, language):
        name = row["name"]
        path = name[2:].split(".")
        text = str(data.get(name, "") or "").replace("\r\n", "\n").strip()
        limit = (
            300
            if path[-1] == "label"
            else (200 if path[-1] in ("name", "group") or path[0] == "groups" else 4000)
        )
        if len(text) > limit:
            errors[name] = [f"Use {limit} characters or fewer"]
            continue
        if path[0] == "groups":
            group_rows += 1
            if text:
                groups.append(text)
            continue
        if path == ["keywords"]:
            words = [w.strip() for w in text.split(",") if w.strip()]
            if any(len(w) > 50 for w in words):
                errors[name] = ["Each word must be 50 characters or fewer"]
            elif words:
                translation["keywords"] = words
            else:
                translation.pop("keywords", None)
            continue
        node = translation
        for part in path[:-1]:
            node = node.setdefault(part, {})
        if text:
            node[path[-1]] = text
        else:
            node.pop(path[-1], None)
    if groups and len(groups) != group_rows:
        errors["t.groups.0"] = ["Translate every group it is also listed under, or none"]
    elif groups:
        translation["groups"] = groups
    elif group_rows:
        translation.pop("groups", None)
    _raise(errors)
    translation = _without_empty(translation)
    translations = {k: v for k, v in (doc.get("translations") or {}).items() if k != language}
    if translation:
        translations[language] = translation
    if translations:
        doc["translations"] = translations
    else:
        doc.pop("translations", None)
    return doc


def _without_empty(node: Any) -> Any:
    if isinstance(node, dict):
        cleaned = {k: _without_empty(v) for k, v in node.items()}
        return {k: v for k, v in cleaned.items() if v not in ({}, "", None)}
    return node


def translations_to_check(
    document: dict[str, Any], published: dict[str, Any] | None, language: str
) -> set[str]:
    """The translation rows whose English this draft changed from the published version while
    their translation stayed as it was: most likely the translation now says something else."""
    if not published:
        return set()
    before = {r["name"]: r for r in translation_rows(published, language)}
    return {
        row["name"]
        for row in translation_rows(document, language)
        if row["value"]
        and row["name"] in before
        and before[row["name"]]["english"] != row["english"]
        and before[row["name"]]["value"] == row["value"]
    }
