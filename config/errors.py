"""The site's 404 and 500 handlers (ADR 110): each path gets the error its interface speaks.

Machine paths (the REST API, Open311, live streams, JSON and other data files) keep their
machine errors; staff paths get the staff look and a way back to the staff home; every other
path gets the citizen web's branded page in the visitor's language.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from townsquare.open311.formats import error_response
from townsquare.portal import errors as portal_errors
from townsquare.staff import errors as staff_errors

_MACHINE_PREFIXES = ("/api/", "/live/")
_DATA_SUFFIXES = (".json", ".geojson", ".xml", ".csv", ".yaml", ".ndjson")


def _kind(request: HttpRequest) -> str:
    path = request.path_info or "/"
    if path.startswith("/open311/"):
        return "open311"
    if path.startswith(_MACHINE_PREFIXES) or path.rstrip().lower().endswith(_DATA_SUFFIXES):
        return "json"
    if path == "/staff" or path.startswith("/staff/"):
        return "staff"
    return "citizen"


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    kind = _kind(request)
    if kind == "open311":
        fmt = "xml" if request.path_info.rstrip().endswith(".xml") else "json"
        return error_response(404, "Not found", fmt)
    if kind == "json":
        return JsonResponse({"error": "Not found"}, status=404)
    if kind == "staff":
        return staff_errors.not_found(request, exception)
    return portal_errors.not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Touches nothing that may have failed: no database, session, user or cache."""
    kind = _kind(request)
    if kind == "open311":
        fmt = "xml" if request.path_info.rstrip().endswith(".xml") else "json"
        return error_response(500, "Something went wrong on our side", fmt)
    if kind == "json":
        return JsonResponse({"error": "Something went wrong on our side"}, status=500)
    if kind == "staff":
        return staff_errors.server_error(request)
    return portal_errors.server_error(request)
