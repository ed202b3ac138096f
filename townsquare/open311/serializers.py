"""Townsquare objects as Open311 GeoReport v2 structures (plain dicts and lists)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from townsquare.cases.models import Attachment, Case
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.selectors import workflow_for_version
from townsquare.core.models import Event

DATATYPE_DESCRIPTIONS = {
    "string": "A line of text.",
    "number": "A number, with a decimal point if needed.",
    "datetime": "A date and time in W3C format with a time zone, e.g. 2026-01-31T09:00:00Z.",
    "text": "Text of any length, up to 4,000 characters.",
    "singlevaluelist": "Exactly one of the listed value keys.",
    "multivaluelist": "One or more of the listed value keys, each sent as attribute[CODE][].",
}


def w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _public_fields(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in document["fields"] if not f.get("private")]


def service(s: ServiceTemplate) -> dict[str, Any]:
    document = s.current_version.document
    groups = [document["group"], *[g for g in document.get("groups", [])
                                   if g != document["group"]]]
    keywords = list(document.get("keywords", []))
    if document["privacy"] == "private":
        keywords.append("private")
    out: dict[str, Any] = {
        "service_code": s.code,
        "service_name": document["name"],
        "description": document["description"],
        "metadata": bool(_public_fields(document)),
        "type": document.get("open311", {}).get("type", "realtime"),
        "keywords": ",".join(keywords),
        "group": document["group"],
    }
    if len(groups) > 1:
        out["groups"] = groups
    return out


def definition(s: ServiceTemplate) -> dict[str, Any]:
    fields = sorted(_public_fields(s.current_version.document),
                    key=lambda f: f.get("order", 0))
    attributes = []
    for position, field in enumerate(fields, start=1):
        attribute: dict[str, Any] = {
            "variable": field.get("automated") != "server_set",
            "code": field["code"],
            "datatype": field["datatype"],
            "required": bool(field.get("required")),
            "datatype_description": field.get("help") or DATATYPE_DESCRIPTIONS[field["datatype"]],
            "order": field.get("order", position),
            "description": field["label"],
        }
        if field.get("automated"):
            attribute["automated"] = field["automated"]
        if field.get("values"):
            attribute["values"] = [{"key": v["key"], "name": v["name"]}
                                   for v in field["values"]]
        attributes.append(attribute)
    return {"service_code": s.code, "attributes": attributes}


def _address(case: Case) -> str:
    if case.address:
        return case.address
    if case.lat is not None:
        return f"{case.lat:.6f}, {case.lng:.6f}"
    return case.council.name


def _status_notes(timeline: list[Event]) -> str:
    for event in reversed(timeline):
        message = event.payload.get("message")
        if message and event.kind in ("case.transitioned", "case.public_update"):
            return message
    return ""


def request(case: Case, *, timeline: list[Event], media: list[Attachment], media_root: str,
            extensions: bool) -> dict[str, Any]:
    media_urls = [m.url or f"{media_root}{m.id}" for m in media]
    out: dict[str, Any] = {
        "service_request_id": case.reference,
        "status": "open" if case.is_open else "closed",
        "status_notes": _status_notes(timeline),
        "service_name": case.service.name,
        "service_code": case.service.code,
        "description": case.description,
        "agency_responsible": case.council.name,
        "service_notice": "",
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.resolve_due_at) if case.is_open else None,
        "address": _address(case),
        "address_id": "",
        "zipcode": case.postcode,
        "lat": round(case.lat, 6) if case.lat is not None else 0.0,
        "long": round(case.lng, 6) if case.lng is not None else 0.0,
        "media_url": media_urls[0] if media_urls else None,
    }
    if extensions:
        workflow = workflow_for_version(case.service_version)
        public_values = {f["code"] for f in _public_fields(case.service_version.document)}
        out["extended_attributes"] = {
            "external_status_code": case.state,
            "fms_status": workflow.state(case.state).fms,
            "status_name": workflow.state(case.state).name,
            "location_approximate": case.location_approximate,
            "support_count": case.support_count,
            "duplicate_of": case.duplicate_of.reference if case.duplicate_of_id else None,
            "attributes": {k: v for k, v in case.values.items() if k in public_values},
            "media_urls": media_urls,
        }
        out["notes"] = [note(event, workflow) for event in timeline]
    return out


def note(event: Event, workflow) -> dict[str, Any]:
    payload = event.payload
    if event.kind == "case.created":
        summary, kind = "Request opened", "opened"
    elif event.kind == "case.transitioned":
        target = payload.get("to_state", "")
        name = workflow.states[target].name if target in workflow.states else target
        summary, kind = f"Status changed to {name}", "status_change"
    elif event.kind == "case.merged_into":
        summary, kind = f"Closed as a duplicate of {payload.get('original_reference')}", "closed"
    elif event.kind == "case.citizen_update":
        summary, kind = "Update from the public", "comment"
    else:
        summary, kind = "Update", "activity"
    return {"datetime": w3c(event.created_at), "summary": summary, "type": kind,
            "description": payload.get("message", "")}


def update(event: Event, case: Case) -> dict[str, Any]:
    """One entry of mySociety's servicerequestupdates."""
    workflow = workflow_for_version(case.service_version)
    state = event.payload.get("to_state") or event.payload.get("state") or case.state
    status = workflow.states[state].fms if state in workflow.states else "unchanged"
    return {
        "update_id": str(event.id),
        "service_request_id": case.reference,
        "status": status,
        "updated_datetime": w3c(event.created_at),
        "description": event.payload.get("message", ""),
        "external_status_code": state,
    }
