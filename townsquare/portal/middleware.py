"""Public write limits on the citizen web (ADR 133): every POST to a portal page spends from
its client address's bucket, and a view past a limit (a per-email one, say) raises
RateLimited; both answer a 429 page in the visitor's language with Retry-After."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from townsquare.core.ratelimit import RateLimited, limit_public_write


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    minutes = max(1, -(-retry_after // 60))
    response = render(request, "portal/errors/429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class PublicWriteLimits:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method != "POST" or match is None or match.namespace != "portal":
            return None
        try:
            limit_public_write(request)
        except RateLimited as limited:
            return too_many_requests(request, limited.retry_after)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, RateLimited):
            return too_many_requests(request, exception.retry_after)
        return None
