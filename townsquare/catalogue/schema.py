"""The service template format: a JSON Schema for its shape plus rules the schema cannot say.

`template_problems(document)` returns every problem found, each with the path inside the
document ("workflow.transitions[2].to") and a reason a council admin can act on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import jsonschema

from townsquare.catalogue import dates
from townsquare.catalogue.autocomplete import autocomplete_problem
from townsquare.catalogue.fees import FEE_SCHEMA, fee_problems

DATATYPES = (
    "string",
    "number",
    "datetime",
    "date",
    "postcode",
    "text",
    "singlevaluelist",
    "multivaluelist",
)
# GeoReport v2 knows only these; the others are sent to Open311 clients as a string.
OPEN311_DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
KINDS = ("report", "application")
ROLES = ("agent", "supervisor", "council_admin", "citizen", "system")
OPEN311_STATUSES = ("open", "closed")
# mySociety's extended statuses, as FixMyStreet reads them (lower case).
FMS_STATUSES = (
    "open",
    "closed",
    "fixed",
    "in_progress",
    "action_scheduled",
    "investigating",
    "duplicate",
    "not_councils_responsibility",
    "no_further_action",
    "internal_referral",
    "cancelled",
    "reopen",
    "for_triage",
    "planned",
    "unchanged",
)
# States and teams are ours: short snake_case. Service and field codes are public Open311
# identifiers (`service_code`, `attribute[CODE]`), so services imported from other systems keep
# theirs ("001", "4e09c863992b94b915000000", "uprn"); no dots, which would clash with ".json".
CODE_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"
PUBLIC_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"

# Languages a template may carry translations for, beside its own English (ADR 63).
TRANSLATION_LANGUAGES = ("cy",)

_text = {"type": "string", "minLength": 1, "maxLength": 4000}
_code = {"type": "string", "pattern": CODE_PATTERN}
_public_code = {"type": "string", "pattern": PUBLIC_CODE_PATTERN}


def _texts(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties}


def _short(limit: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": limit}


# What a resident reads, in another language, keyed by the codes of the English part.
_translation = _texts(
    name=_short(200),
    group=_short(100),
    groups={"type": "array", "items": _short(100)},
    description=_text,
    keywords={"type": "array", "items": _short(50)},
    fields={
        "type": "object",
        "additionalProperties": _texts(
            label=_short(300),
            help={"type": "string", "maxLength": 2000},
            values={"type": "object", "additionalProperties": _short(200)},
        ),
    },
    states={
        "type": "object",
        "additionalProperties": _texts(
            name=_short(100),
            message={"type": "string", "maxLength": 4000},
        ),
    },
)

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "code",
        "name",
        "group",
        "description",
        "kind",
        "fields",
        "workflow",
        "sla",
        "routing",
        "privacy",
        "retention",
    ],
    "properties": {
        "code": _public_code,
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "group": {"type": "string", "minLength": 1, "maxLength": 100},
        "groups": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "keywords": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 50}},
        "description": _text,
        "kind": {"enum": list(KINDS)},
        # The level of confidence in the applicant's identity the service needs before an
        # application starts (accounts.levels; docs/adr/0091-levels-of-confidence.md).
        "identity": {"enum": ["none", "authenticated", "P2"]},
        "open311": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"type": {"enum": ["realtime", "batch", "blackbox"]}},
        },
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "label", "datatype"],
                "properties": {
                    "code": _public_code,
                    "label": {"type": "string", "minLength": 1, "maxLength": 300},
                    "datatype": {"enum": list(DATATYPES)},
                    "required": {"type": "boolean"},
                    "order": {"type": "integer", "minimum": 1},
                    "help": {"type": "string", "maxLength": 2000},
                    "private": {"type": "boolean"},
                    "automated": {"enum": ["server_set", "hidden_field"]},
                    "max_length": {"type": "integer", "minimum": 1, "maximum": 100000},
                    "min": {"type": "number"},
                    "max": {"type": "number"},
                    # A date question's bounds (catalogue.dates): "2015-09-01", "4 years ago".
                    "earliest": {"type": "string", "minLength": 1, "maxLength": 40},
                    "latest": {"type": "string", "minLength": 1, "maxLength": 40},
                    # An HTML autofill token (WCAG 1.3.5), checked by catalogue.autocomplete.
                    "autocomplete": {"type": "string", "minLength": 1, "maxLength": 100},
                    "show_if": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["field", "equals"],
                        "properties": {"field": _public_code, "equals": {"type": "string"}},
                    },
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["key", "name"],
                            "properties": {
                                "key": {"type": "string", "minLength": 1, "maxLength": 100},
                                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                            },
                        },
                    },
                },
            },
        },
        "workflow": {
            "type": "object",
            "additionalProperties": False,
            "required": ["initial", "states", "transitions"],
            "properties": {
                "initial": _code,
                "states": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["code", "name", "open311", "fms"],
                        "properties": {
                            "code": _code,
                            "name": {"type": "string", "minLength": 1, "maxLength": 100},
                            "public": {"type": "boolean"},
                            "open311": {"enum": list(OPEN311_STATUSES)},
                            "fms": {"enum": list(FMS_STATUSES)},
                            "message": {"type": "string", "maxLength": 4000},
                        },
                    },
                },
                "transitions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["from", "to", "roles"],
                        "properties": {
                            "from": {
                                "oneOf": [_code, {"type": "array", "items": _code, "minItems": 1}]
                            },
                            "to": _code,
                            "roles": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"enum": list(ROLES)},
                            },
                            "name": {"type": "string", "maxLength": 100},
                        },
                    },
                },
            },
        },
        "sla": {
            "type": "object",
            "additionalProperties": False,
            "required": ["first_response_hours", "close_hours"],
            "properties": {
                "first_response_hours": {"type": "number", "exclusiveMinimum": 0, "maximum": 87600},
                "close_hours": {"type": "number", "exclusiveMinimum": 0, "maximum": 87600},
                # Which hours count (cases/sla.py): working_days (default), office_hours, elapsed.
                "calendar": {"enum": ["working_days", "office_hours", "elapsed"]},
            },
        },
        "routing": {
            "type": "object",
            "additionalProperties": False,
            "required": ["team"],
            "properties": {"team": _code},
        },
        "privacy": {"enum": ["public", "private"]},
        # What an application costs (catalogue.fees; ADR 161).
        "fee": FEE_SCHEMA,
        "retention": {
            "type": "object",
            "additionalProperties": False,
            "required": ["days_after_close"],
            "properties": {"days_after_close": {"type": "integer", "minimum": 0, "maximum": 36500}},
        },
        "translations": {
            "type": "object",
            "additionalProperties": False,
            "properties": {language: _translation for language in TRANSLATION_LANGUAGES},
        },
    },
}

_validator = jsonschema.Draft202012Validator(SCHEMA)


@dataclass(frozen=True)
class TemplateProblem:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path or '(top level)'}: {self.reason}"


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_reason(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "Unknown key(s)")
    if error.validator == "enum":
        return f"{error.instance!r} is not one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "pattern" and error.validator_value == PUBLIC_CODE_PATTERN:
        return (
            f"{error.instance!r} must be letters, digits, _ and - (at most 64, "
            f"starting with a letter or digit)"
        )
    if error.validator == "pattern":
        return (
            f"{error.instance!r} must be lower-case letters, digits and _ (starting with a letter)"
        )
    return error.message


def template_problems(document: Any) -> list[TemplateProblem]:
    """Every problem with a template document; an empty list means it is valid."""
    if not isinstance(document, dict):
        return [TemplateProblem("", "a template must be a mapping of keys to values")]
    problems = [
        TemplateProblem(_path(e.absolute_path), _schema_reason(e))
        for e in sorted(_validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        return problems
    return _rule_problems(document)


def _rule_problems(doc: dict[str, Any]) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []

    def add(path: str, reason: str) -> None:
        problems.append(TemplateProblem(path, reason))

    field_codes: dict[str, int] = {}
    orders: dict[int, int] = {}
    for i, field in enumerate(doc["fields"]):
        at = f"fields[{i}]"
        if field["code"] in field_codes:
            add(f"{at}.code", f"{field['code']!r} is used by fields[{field_codes[field['code']]}]")
        field_codes.setdefault(field["code"], i)
        order = field.get("order", i + 1)
        if order in orders:
            add(f"{at}.order", f"order {order} is used by fields[{orders[order]}] too")
        orders.setdefault(order, i)
        is_list = field["datatype"] in ("singlevaluelist", "multivaluelist")
        values = field.get("values")
        if is_list and not values:
            add(f"{at}.values", f"a {field['datatype']} needs at least one value")
        if not is_list and values:
            add(f"{at}.values", f"only list fields have values, not a {field['datatype']}")
        if values:
            seen: set[str] = set()
            for j, value in enumerate(values):
                if value["key"] in seen:
                    add(f"{at}.values[{j}].key", f"{value['key']!r} appears twice")
                seen.add(value["key"])
        if "min" in field and "max" in field and field["min"] > field["max"]:
            add(f"{at}.min", "min is greater than max")
        _date_rule_problems(field, at, add)
        reason = autocomplete_problem(field)
        if reason:
            add(f"{at}.autocomplete", reason)
    for i, field in enumerate(doc["fields"]):
        show_if = field.get("show_if")
        if show_if and show_if["field"] not in field_codes:
            add(f"fields[{i}].show_if.field", f"no field is called {show_if['field']!r}")
        elif show_if and show_if["field"] == field["code"]:
            add(f"fields[{i}].show_if.field", "a field cannot depend on itself")

    workflow = doc["workflow"]
    states: dict[str, int] = {}
    for i, state in enumerate(workflow["states"]):
        if state["code"] in states:
            add(f"workflow.states[{i}].code", f"{state['code']!r} is defined twice")
        states.setdefault(state["code"], i)
        if state["open311"] == "closed" and state["fms"] in (
            "open",
            "in_progress",
            "investigating",
            "for_triage",
            "action_scheduled",
            "planned",
            "reopen",
        ):
            add(
                f"workflow.states[{i}].fms",
                f"{state['fms']!r} is an open status but open311 says closed",
            )
    if workflow["initial"] not in states:
        add("workflow.initial", f"no state is called {workflow['initial']!r}")
    reachable = {workflow["initial"]}
    seen_pairs: set[tuple[str, str]] = set()
    for i, transition in enumerate(workflow["transitions"]):
        sources = transition["from"]
        sources = [sources] if isinstance(sources, str) else sources
        for source in sources:
            if source not in states:
                add(f"workflow.transitions[{i}].from", f"no state is called {source!r}")
            if source == transition["to"]:
                add(f"workflow.transitions[{i}]", f"a transition from {source!r} to itself")
            if (source, transition["to"]) in seen_pairs:
                add(
                    f"workflow.transitions[{i}]",
                    f"{source!r} -> {transition['to']!r} is defined twice",
                )
            seen_pairs.add((source, transition["to"]))
        if transition["to"] not in states:
            add(f"workflow.transitions[{i}].to", f"no state is called {transition['to']!r}")
    # States no transition can reach are almost always a typo in a transition.
    changed = True
    while changed:
        changed = False
        for transition in workflow["transitions"]:
            sources = transition["from"]
            sources = [sources] if isinstance(sources, str) else sources
            if transition["to"] not in reachable and reachable.intersection(sources):
                reachable.add(transition["to"])
                changed = True
    for code, i in states.items():
        if code not in reachable and not problems:
            add(
                f"workflow.states[{i}]",
                f"state {code!r} cannot be reached from {workflow['initial']!r}",
            )
    if not any(s["open311"] == "closed" for s in workflow["states"]):
        add("workflow.states", "at least one state must map to open311: closed")
    for path, reason in fee_problems(doc):
        add(path, reason)
    for language, translation in doc.get("translations", {}).items():
        _translation_problems(doc, f"translations.{language}", translation, add)
    return problems


def _date_rule_problems(field: dict[str, Any], at: str, add: Any) -> None:
    bounds = [key for key in ("earliest", "latest") if key in field]
    if bounds and field["datatype"] != "date":
        for key in bounds:
            add(f"{at}.{key}", f"only date fields have {key}, not a {field['datatype']}")
        return
    for key in bounds:
        reason = dates.bound_problem(field[key])
        if reason:
            add(f"{at}.{key}", reason)
    if len(bounds) == 2 and not any(dates.bound_problem(field[k]) for k in bounds):
        # Two fixed dates, or two relative ones, keep their order whatever today is; a fixed
        # and a relative one cross some day, which is the council's choice to make.
        fixed = [dates.is_fixed(field[k]) for k in bounds]
        earliest, latest = dates.bounds_of(field, dt.date(2000, 3, 1))
        if fixed[0] == fixed[1] and earliest and latest and earliest > latest:
            add(f"{at}.earliest", "earliest is later than latest")


def _translation_problems(
    doc: dict[str, Any], at: str, translation: dict[str, Any], add: Any
) -> None:
    """A translation may leave texts out (the English shows), but not name what is not there."""
    groups = translation.get("groups")
    if groups is not None and len(groups) != len(doc.get("groups", [])):
        add(
            f"{at}.groups",
            f"has {len(groups)} groups but the template has {len(doc.get('groups', []))}",
        )
    fields = {f["code"]: f for f in doc["fields"]}
    for code, texts in translation.get("fields", {}).items():
        field = fields.get(code)
        if field is None:
            add(f"{at}.fields.{code}", f"no field is called {code!r}")
            continue
        if "help" in texts and not field.get("help"):
            add(f"{at}.fields.{code}.help", "the field has no help text to translate")
        keys = {v["key"] for v in field.get("values", [])}
        for key in texts.get("values", {}):
            if key not in keys:
                add(f"{at}.fields.{code}.values.{key}", f"the field has no value {key!r}")
    states = {s["code"] for s in doc["workflow"]["states"]}
    for code in translation.get("states", {}):
        if code not in states:
            add(f"{at}.states.{code}", f"no state is called {code!r}")
