"""Public performance: how many reports a council receives and how long it typically takes to
fix them, per category, with a plain note on what the figures mean."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from townsquare.core.errors import NotFound
from townsquare.core.replicas import reads_may_lag
from townsquare.councils.selectors import council_get, council_list
from townsquare.insights.selectors import performance_get


@require_safe
@reads_may_lag()  # a moment old is fine (ADR 231)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "performance/index.html", {"councils": council_list()})


@require_safe
@reads_may_lag()  # a moment old is fine (ADR 231)
def council(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        found = council_get(slug=slug)
    except NotFound:
        return render(
            request,
            "performance/index.html",
            {"councils": council_list(), "unknown": slug[:50]},
            status=404,
        )
    return render(
        request,
        "performance/council.html",
        {
            "page_council": found,
            "council": found,
            "performance": performance_get(council=found),
        },
    )


urlpatterns = [
    path("", index, name="performance"),
    path("<slug:slug>/", council, name="performance_council"),
]
