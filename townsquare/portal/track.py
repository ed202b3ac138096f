"""Track a request: where a report or application stands, and everything public that happened."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from townsquare.cases.selectors import public_case_by_reference, public_timelines
from townsquare.catalogue.selectors import workflow_for_version
from townsquare.core.errors import NotFound

_REFERENCE = re.compile(r"[A-Za-z]{2,5}-\d{2}-\d{1,9}")


@dataclass(frozen=True)
class Note:
    at: datetime
    summary: str
    message: str


@require_GET
def find(request: HttpRequest) -> HttpResponse:
    reference = request.GET.get("reference", "").strip().upper()[:40]
    if not reference:
        return render(request, "track/find.html", {"reference": ""})
    if not _REFERENCE.fullmatch(reference):
        error = _("Enter a reference like BRS-26-000123")
    else:
        return redirect("portal:track_case", reference=reference)
    return render(request, "track/find.html", {"reference": reference, "error": error},
                  status=400)


@require_GET
def case(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        listing = public_case_by_reference(reference=reference.upper())
    except NotFound:
        return render(request, "track/find.html", {
            "reference": reference[:40],
            "error": _("We cannot find a public request with that reference. Check it and "
                       "try again."),
        }, status=404)
    row = listing.rows[0]
    version = listing.versions[row["service_version_id"]]
    workflow = workflow_for_version(version)
    events = public_timelines(case_ids=[row["id"]])[row["id"]]
    context = {
        "page_council": listing.councils[row["council_id"]],
        "case": {
            "reference": row["reference"],
            "service_name": listing.services[row["service_id"]].name,
            "council_name": listing.councils[row["council_id"]].name,
            "status_name": workflow.state(row["state"]).name,
            "is_open": row["is_open"],
            "status_notes": row["status_notes"],
            "created_at": row["created_at"],
            "expected_at": row["resolve_due_at"] if row["is_open"] else None,
            "place": row["address"] or (f"{row['lat']:.5f}, {row['lng']:.5f}"
                                        if row["lat"] is not None else ""),
            "location_approximate": row["location_approximate"],
            "description": row["description"],
        },
        "timeline": [_note(event, workflow) for event in events],
    }
    return render(request, "track/case.html", context)


def _note(event, workflow) -> Note:
    payload = event.payload
    if event.kind == "case.created":
        summary = _("Reported")
    elif event.kind in ("case.transitioned", "case.merged_into"):
        target = payload.get("to_state", "")
        name = workflow.states[target].name if target in workflow.states else target
        summary = _("Status changed to %(status)s") % {"status": name}
    elif event.kind == "case.citizen_update":
        summary = _("Update from the public")
    else:
        summary = _("Update from the council")
    return Note(at=event.created_at, summary=summary, message=payload.get("message", ""))
