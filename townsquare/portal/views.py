from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from townsquare.catalogue.selectors import services_by_group
from townsquare.councils.selectors import council_list


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    councils = council_list()
    grouped = services_by_group(councils=councils)
    entries = [
        {"council": c, "groups": sorted(grouped.get(c.id, {}).items())} for c in councils
    ]
    return render(request, "portal/home.html", {"entries": entries})


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
