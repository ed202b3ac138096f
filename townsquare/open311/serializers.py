"""Townsquare objects as Open311 GeoReport v2 structures (plain dicts and lists)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from townsquare.cases.models import Case
from townsquare.cases.selectors import PublicListing
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.schema import OPEN311_DATATYPES
from townsquare.catalogue.selectors import workflow_for_version
from townsquare.core.models import Event

DATATYPE_DESCRIPTIONS = {
    "string": "A line of text.",
    "number": "A number, with a decimal point if needed.",
    "datetime": "A date and time in W3C format with a time zone, e.g. 2026-01-31T09:00:00Z.",
    "text": "Text of any length, up to 4,000 characters.",
    "singlevaluelist": "Exactly one of the listed value keys.",
    "multivaluelist": "One or more of the listed value keys, each sent as attribute[CODE][].",
    # Ours, sent to GeoReport v2 clients as a string they can fill in.
    "date": "A date as YYYY-MM-DD, e.g. 2015-03-31.",
    "postcode": "A full UK postcode, e.g. BS1 5TR.",
}


def w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _public_fields(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in document["fields"] if not f.get("private")]


def service(s: ServiceTemplate) -> dict[str, Any]:
    document = s.current_version.document
    groups = [document["group"], *[g for g in document.get("groups", []) if g != document["group"]]]
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
    # A field without an order takes its place in the document, as the template rules count it.
    document_fields = s.current_version.document["fields"]
    orders = {f["code"]: f.get("order", i + 1) for i, f in enumerate(document_fields)}
    fields = sorted(_public_fields(s.current_version.document), key=lambda f: orders[f["code"]])
    attributes = []
    for field in fields:
        attribute: dict[str, Any] = {
            "variable": field.get("automated") != "server_set",
            "code": field["code"],
            "datatype": field["datatype"] if field["datatype"] in OPEN311_DATATYPES else "string",
            "required": bool(field.get("required")),
            "datatype_description": field.get("help") or DATATYPE_DESCRIPTIONS[field["datatype"]],
            "order": orders[field["code"]],
            "description": field["label"],
        }
        if field.get("automated"):
            attribute["automated"] = field["automated"]
        # Always present (empty for free-text types): some clients index it unconditionally.
        attribute["values"] = [
            {"key": v["key"], "name": v["name"]} for v in field.get("values", [])
        ]
        attributes.append(attribute)
    return {"service_code": s.code, "attributes": attributes}


def _address(row: dict[str, Any], council_name: str) -> str:
    if row["address"]:
        return row["address"]
    if row["lat"] is not None:
        return f"{row['lat']:.6f}, {row['lng']:.6f}"
    return council_name


def requests(
    listing: PublicListing, *, timelines: dict[int, list[Event]], media_root: str, extensions: bool
) -> list[dict[str, Any]]:
    """Open311 requests for a listing of public cases. Unknown values are left out, not null."""
    out = []
    for row in listing.rows:
        service = listing.services[row["service_id"]]
        council = listing.councils[row["council_id"]]
        media_urls = [m.url or f"{media_root}{m.id}" for m in listing.media.get(row["id"], ())]
        item: dict[str, Any] = {
            "service_request_id": row["reference"],
            "status": "open" if row["is_open"] else "closed",
            "status_notes": row["status_notes"],
            "service_name": service.name,
            "service_code": service.code,
            "description": row["description"],
            "agency_responsible": council.name,
            "service_notice": "",
            "requested_datetime": w3c(row["created_at"]),
            "updated_datetime": w3c(row["updated_at"]),
            "address": _address(row, council.name),
            "address_id": "",
            "zipcode": row["postcode"],
            "lat": round(row["lat"], 6) if row["lat"] is not None else 0.0,
            "long": round(row["lng"], 6) if row["lng"] is not None else 0.0,
        }
        if row["is_open"] and row["resolve_due_at"]:
            item["expected_datetime"] = w3c(row["resolve_due_at"])
        if media_urls:
            item["media_url"] = media_urls[0]
        if extensions:
            version = listing.versions[row["service_version_id"]]
            workflow = workflow_for_version(version)
            state = workflow.state(row["state"])
            public_values = {f["code"] for f in _public_fields(version.document)}
            extended: dict[str, Any] = {
                "external_status_code": row["state"],
                "fms_status": state.fms,
                "status_name": state.name,
                "location_approximate": row["location_approximate"],
                "support_count": row["support_count"],
                "attributes": {
                    k: v for k, v in row.get("values", {}).items() if k in public_values
                },
                "media_urls": media_urls,
            }
            if row["duplicate_of_id"]:
                extended["duplicate_of"] = listing.duplicates_of.get(row["duplicate_of_id"], "")
            item["extended_attributes"] = extended
            item["notes"] = [note(event, workflow) for event in timelines.get(row["id"], [])]
        out.append(item)
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
    return {
        "datetime": w3c(event.created_at),
        "summary": summary,
        "type": kind,
        "description": payload.get("message", ""),
    }


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
