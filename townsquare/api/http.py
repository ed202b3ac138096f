"""What every REST API call goes through (ADR 121): the key and its scope, the rate limit,
RFC 9457 problem details for every error, ETags, and the call log."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.security import HttpBearer

from townsquare.accounts.models import ApiKey
from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_api_key
from townsquare.accounts.services import api_key_authenticate
from townsquare.api import store

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorised",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
}


class ApiProblem(Exception):
    """An error answered as problem details: `code` is stable, `detail` for people."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors or {}
        self.headers = headers or {}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        # A URN: stable, and promises no page to fetch.
        "type": f"urn:townsquare:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    response = JsonResponse(body, status=status, content_type=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def problem_from(exc: ApiProblem) -> HttpResponse:
    return problem(exc.status, exc.code, exc.detail, errors=exc.errors, headers=exc.headers)


class KeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`: a key of the council in use, holding `scope`, within its
    rate limit. A missing or unknown key is a 401, a key without the scope a 403, and a key
    past its limit a 429 with Retry-After."""

    openapi_scheme = "bearer"

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_authenticate(raw=token.strip())
        if key is None:
            return None
        # Known from here on: the call is logged against the key whatever its answer.
        request.api_key = key  # type: ignore[attr-defined]
        decision = store.rate_take(key=key)
        if not decision.allowed:
            raise ApiProblem(
                429,
                "rate_limited",
                f"This key may make {decision.limit} calls at once and more as time passes; "
                f"try again in {decision.retry_after} seconds.",
                headers={"Retry-After": str(decision.retry_after)},
            )
        if not key.has_scope(self.scope):
            raise ApiProblem(
                403,
                "missing_scope",
                f"This key does not have the {self.scope} scope. A council admin can create "
                "a key that has it.",
            )
        return key


def principal(request: HttpRequest) -> Principal:
    return principal_for_api_key(request.auth)  # type: ignore[attr-defined]


def key_of(request: HttpRequest) -> ApiKey:
    return request.auth  # type: ignore[attr-defined]


# ETags: a case's names its revision, so If-Match can say which revision the client saw.
_REVISION_ETAG = re.compile(r'^"(\d{1,18})-[0-9a-f]{16}"$')


def body_hash(response: HttpResponse) -> str:
    return hashlib.sha256(response.content).hexdigest()[:16]


def revision_etag(revision: int, response: HttpResponse) -> str:
    return f'"{revision}-{body_hash(response)}"'


def expected_revision(request: HttpRequest) -> int | None:
    """The revision an update's If-Match names (None without one; any for `*`). A tag that is
    none of ours can match no representation: 412, as RFC 9110 says."""
    given = request.headers.get("If-Match", "").strip()
    if not given or given == "*":
        return None
    found = _REVISION_ETAG.match(given)
    if found is None:
        raise ApiProblem(
            412,
            "precondition_failed",
            "If-Match does not match the case: send the ETag of the case as you last read it.",
        )
    return int(found[1])


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def _as_problem(response: HttpResponse) -> HttpResponse:
    """Any error that is not problem details yet (a 404 for an unknown path, a 405, what
    Django or ninja answered themselves) made into one, keeping its status and headers."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith(PROBLEM_JSON):
        return response
    detail = ""
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            detail = str(json.loads(response.content).get("detail", ""))
        except (ValueError, AttributeError):
            detail = ""
    converted = problem(
        response.status_code,
        TITLES.get(response.status_code, "error").lower().replace(" ", "_"),
        detail or TITLES.get(response.status_code, "Error"),
    )
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        if name in response:
            converted[name] = response[name]
    return converted


# What a 304 keeps of the 200 it stands for (RFC 9110, 15.4.5); Vary is added after.
_NOT_MODIFIED_KEEPS = ("ETag", "Cache-Control", "Content-Location", "Expires", "Vary")


def _not_modified(response: HttpResponse) -> HttpResponse:
    """A 304 for `response`: no body and no Content-Type. Its Content-Length, if any, must be
    the 200's (RFC 9110, 8.6), never the empty body's that middleware would add. A stored
    file's is its size (FileResponse sets it); its stream is never read here."""
    not_modified = HttpResponse(status=304)
    del not_modified["Content-Type"]
    if response.has_header("Content-Length"):
        not_modified["Content-Length"] = response["Content-Length"]
    elif not response.streaming:
        not_modified["Content-Length"] = str(len(response.content))
    for name in _NOT_MODIFIED_KEEPS:
        if name in response:
            not_modified[name] = response[name]
    return not_modified


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap one of the API's URL views: problem details for every error, ETag and
    If-None-Match on reads, and a line in the call log for every call made with a key."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except ApiProblem as exc:
            response = problem_from(exc)
        except Http404:
            # ninja's root view raises it: the answer is a plain 404 like any unknown path.
            response = problem(404, "not_found", "There is no such address in this API.")
        response = _as_problem(response)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            # A streamed answer has no body in hand to hash: it has an ETag only when its view
            # gave one (a stored file's never changes; an open data export has none).
            etag = response.get("ETag") or (
                None if response.streaming else f'"{body_hash(response)}"'
            )
        else:
            etag = None
        if etag:
            response["ETag"] = etag
            if _matches(request.headers.get("If-None-Match", ""), etag):
                stream = getattr(response, "file_to_stream", None)
                if stream is not None:
                    # A stored file's handle, opened for a body never sent. (Not
                    # response.close(): that tells Django the request has finished.)
                    stream.close()
                response = _not_modified(response)
        # What a call answers depends on its key: caches must not share answers between keys.
        response["Vary"] = ", ".join(v for v in (response.get("Vary", ""), "Authorization") if v)
        key = getattr(request, "api_key", None)
        if key is not None:
            store.call_record(
                key=key, method=request.method or "", path=request.path, status=response.status_code
            )
        return response

    wrapped.__name__ = getattr(view, "__name__", "api_view")
    wrapped.__doc__ = view.__doc__
    # Ninja's views are exempt from CSRF (keys, not cookies); so is the wrapper.
    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped
