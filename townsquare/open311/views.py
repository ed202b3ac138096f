"""Open311 GeoReport v2 over HTTP: parse, call one service or selector, render JSON or XML.

The contract is docs/api/open311.md. Every response, errors included, is JSON or XML in the
requested format (never HTML), every request body is read to its end, and nothing answers 5xx.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import OperationalError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render as render_page
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt

from townsquare.accounts.models import ApiKey
from townsquare.accounts.services import api_key_authenticate
from townsquare.cases.limits import MAX_DESCRIPTION, MAX_PHOTO_BYTES, MAX_PHOTOS
from townsquare.cases.selectors import (
    PublicListing,
    PublicSearch,
    public_attachment,
    public_case_by_reference,
    public_case_get_for_update,
    public_cases_search,
    public_timelines,
    public_updates_between,
)
from townsquare.cases.services import reporter_phone_number
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.schema import FMS_STATUSES
from townsquare.catalogue.selectors import service_get, services_for_council
from townsquare.core import clock
from townsquare.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from townsquare.core.ratelimit import RateLimited, per_minute, take_or_raise
from townsquare.core.replicas import reads_may_lag
from townsquare.councils.models import Council
from townsquare.councils.selectors import (
    areas_named_in,
    council_for_point,
    council_get_by_jurisdiction,
    council_list,
    councils_by_id,
)
from townsquare.geo.points import Point
from townsquare.open311 import params, serializers
from townsquare.open311.documents import etag_matches, prepared_document
from townsquare.open311.formats import CONTENT_TYPES, error_response, render
from townsquare.open311.services import (
    NewRequest,
    client_update_post,
    pending_request_get,
    request_create,
)

log = logging.getLogger(__name__)

FORMATS = ("json", "xml")
MAX_PHONE_TEXT = 200
MAX_UPDATE_ID = 100
MAX_IDEMPOTENCY_KEY = 200
_IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{0,{MAX_IDEMPOTENCY_KEY}}}")
_TOKEN = re.compile(r"[0-9a-f]{32}")
_REFERENCE = re.compile(r"[A-Za-z0-9-]{1,40}")
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]{1,100})\](\[\])?$")
_FMS_REPORT_URL = re.compile(r"https?://\S+/report/\d+")
# An absolute http(s) URI by RFC 3986 with a plain host name, so that every client can use the
# media_url we hand back (the OpenAPI document says the same).
_PCHAR = r"[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2}"
_MEDIA_URL = re.compile(
    rf"https?://[A-Za-z0-9.-]+(:[0-9]*)?(/({_PCHAR}|/)*)?"
    rf"(\?({_PCHAR}|[/?])*)?(#({_PCHAR}|[/?])*)?"
)
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key",
    "Access-Control-Max-Age": "86400",
}


_MEDIA_PATH = "/open311/v2/media/"


class Forbidden(Exception):
    """A missing or wrong api_key: 403."""


def _drain(request: HttpRequest) -> None:
    """Read what is left of the body, so a keep-alive connection survives an early answer."""
    try:
        while request.read(65536):
            pass
    except Exception:  # noqa: S110 - nothing more can be done with a broken stream
        pass


def _form(request: HttpRequest) -> tuple[MultiValueDict, MultiValueDict]:
    """The POST form and files, with a 400 for bodies Django refuses to parse."""
    try:
        return request.POST, request.FILES
    except RequestDataTooBig:
        raise params.BadParameter("body", "is too large") from None
    except (SuspiciousOperation, ValueError, UnicodeDecodeError) as exc:
        raise params.BadParameter("body", f"cannot be read as a form ({exc})") from None


def endpoint(*methods: str, root: str) -> Callable:
    """Wrap an Open311 view: format suffix, methods, OPTIONS, CORS, errors and body draining."""
    allowed = ", ".join([*methods, "OPTIONS"])

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def handle(request: HttpRequest, *args: Any, fmt: str = "json", **kwargs: Any):
            try:
                if fmt not in FORMATS:
                    response = error_response(
                        404, f"Unknown format {fmt[:20]!r}: use .json or .xml"
                    )
                elif request.method == "OPTIONS":
                    response = HttpResponse(status=204)
                    del response["Content-Type"]
                elif request.method not in methods:
                    response = error_response(405, f"{request.method} is not allowed here", fmt)
                else:
                    response = view(request, *args, fmt=fmt, **kwargs)
            except params.BadParameter as exc:
                response = error_response(400, exc.message, fmt)
            except Forbidden as exc:
                response = error_response(403, str(exc), fmt)
            except NotFound as exc:
                response = error_response(404, exc.message, fmt)
            except PermissionDenied as exc:
                response = error_response(403, exc.message, fmt)
            except InvalidInput as exc:
                response = error_response(400, _describe(exc), fmt)
            except DomainError as exc:
                response = error_response(400, exc.message, fmt)
            except RateLimited as exc:
                response = error_response(
                    429, f"Too many requests: retry after {exc.retry_after} seconds", fmt
                )
                response["Retry-After"] = str(exc.retry_after)
            except OperationalError:
                # The database is busy or unreachable: temporary, so say so and invite a retry.
                log.exception("Open311 %s %s: database unavailable", request.method, request.path)
                response = error_response(503, "Temporarily unavailable; retry shortly", fmt)
                response["Retry-After"] = "5"
            except Exception:
                # A bug of ours; still an Open311 answer, never an HTML 500 page.
                log.exception("Open311 %s %s failed", request.method, request.path)
                response = error_response(400, "The request could not be processed", fmt)
            finally:
                _drain(request)
            response["Allow"] = allowed
            for header, value in CORS.items():
                response[header] = value
            response["Access-Control-Allow-Methods"] = allowed
            return response

        # Client systems post with an api_key, not a browser session: CSRF does not apply.
        return csrf_exempt(handle)

    return wrap


def _describe(exc: InvalidInput) -> str:
    parts = []
    for field, messages in exc.errors.items():
        for message in messages:
            parts.append(
                message
                if field in ("__all__",) or message.startswith(field)
                else f"{field}: {message}"
            )
    return "; ".join(parts)


# --- who and where ---------------------------------------------------------------------------


def _jurisdiction(query: Any) -> Council | None:
    jurisdiction = params.identifier(query, "jurisdiction_id")
    return council_get_by_jurisdiction(jurisdiction_id=jurisdiction) if jurisdiction else None


def _council_ids(query: Any) -> frozenset[int] | None:
    council = _jurisdiction(query)
    return frozenset([council.id]) if council else None


def _api_key(form: Any) -> ApiKey:
    raw = params.value(form, "api_key")
    if not raw:
        raise Forbidden("api_key is required")
    key = api_key_authenticate(raw=raw)
    if key is None:
        raise Forbidden("api_key is not valid")
    # Only writes take a key: each spends from its key's bucket, shared by every process (ADR 133).
    rate, burst = per_minute(settings.OPEN311_WRITES_PER_MINUTE)
    take_or_raise(f"open311-key:{key.pk}", rate=rate, burst=burst)
    return key


def _key_council(key: ApiKey, form: Any) -> Council:
    """The council a request goes to: the key's own, which jurisdiction_id must agree with."""
    council = _jurisdiction(form)
    key_council = councils_by_id(ids={key.council_id}).get(key.council_id)
    if key_council is None or not key_council.is_active:
        raise Forbidden("api_key belongs to a council that is not served here")
    if council is not None and council.id != key_council.id:
        raise Forbidden(f"api_key is not valid for {council.name}")
    return key_council


def _media_root(request: HttpRequest) -> str:
    return request.build_absolute_uri(_MEDIA_PATH)


# --- discovery and services ----------------------------------------------------------------


@endpoint("GET", root="discovery")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    # The trailing slash is what FixMyStreet needs; clients that add their own slash get
    # `v2//services.xml`, which unknown_path serves as `v2/services.xml`.
    base = request.build_absolute_uri("/open311/v2/")
    openapi = request.build_absolute_uri(reverse("open311:openapi", kwargs={"fmt": "json"}))
    endpoints = [
        {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": base,
            "changeset": "2026-11-22T00:00:00Z",
            "type": kind,
            "formats": ["text/xml", "application/json"],
        }
        for kind in ("production", "test")
    ]
    data = {
        "changeset": "2026-11-22T00:00:00Z",
        "contact": f"See {request.build_absolute_uri(reverse('open311:docs'))} for keys, "
        "examples and support.",
        "key_service": "API keys are issued by each council's administrators.",
        "endpoints": endpoints,
        "openapi": openapi,
    }
    response = render(data, fmt, root="discovery")
    # RFC 8631: where a machine-readable description of this API is.
    response["Link"] = f'<{openapi}>; rel="service-desc"'
    return response


def _services(query: Any) -> list[ServiceTemplate]:
    council = _jurisdiction(query)
    councils = [council] if council else council_list()
    seen: set[str] = set()
    found = []
    for target in councils:
        for service in services_for_council(council=target, include_private=False):
            # One endpoint, many councils: a code shared by several is listed once.
            if service.code not in seen:
                seen.add(service.code)
                found.append(service)
    return found


def _prepared(request: HttpRequest, key: tuple, build: Callable[[], bytes], fmt: str):
    """A prepared document as a response: 304 when the client holds it already."""
    document = prepared_document((*key, fmt, translation.get_language()), build)
    if etag_matches(request.headers.get("If-None-Match", ""), document.etag):
        response = HttpResponse(status=304)
        del response["Content-Type"]
    else:
        response = HttpResponse(document.body, content_type=CONTENT_TYPES[fmt])
    response["ETag"] = document.etag
    # Clients may keep it a minute, then ask again with If-None-Match (a 304 costs nothing).
    response["Cache-Control"] = "public, max-age=60"
    return response


@endpoint("GET", root="services")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = params.identifier(request.GET, "jurisdiction_id")

    def build() -> bytes:
        listed = [serializers.service(s) for s in _services(request.GET)]
        return render(listed, fmt, root="services").content

    return _prepared(request, ("services", jurisdiction), build, fmt)


@endpoint("GET", root="service_definition")
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    jurisdiction = params.identifier(request.GET, "jurisdiction_id")

    def build() -> bytes:
        match = next((s for s in _services(request.GET) if s.code == code), None)
        if match is None:
            raise NotFound(f"Unknown service_code {code[:60]!r}")
        return render(serializers.definition(match), fmt, root="service_definition").content

    return _prepared(request, ("definition", jurisdiction, code), build, fmt)


# --- requests --------------------------------------------------------------------------------


@endpoint("GET", "POST", root="service_requests")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _search(request, fmt)


def _render_requests(
    request: HttpRequest,
    listing: PublicListing,
    fmt: str,
    *,
    extensions: bool,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    timelines = public_timelines(case_ids=[r["id"] for r in listing.rows]) if extensions else {}
    data = serializers.requests(
        listing, timelines=timelines, media_root=_media_root(request), extensions=extensions
    )
    response = render(data, fmt, root="service_requests")
    for header, value in (headers or {}).items():
        response[header] = value
    return response


@reads_may_lag()  # a search may be a moment behind (ADR 231)
def _search(request: HttpRequest, fmt: str) -> HttpResponse:
    query = request.GET
    now = clock.now()
    references = params.comma_list(query, "service_request_id")
    offset, limit, paged = params.page(query)
    raw_status = params.exact(query, "status")
    status = raw_status.split(",") if raw_status else []
    unknown = [s for s in status if s not in ("open", "closed")]
    if unknown:
        raise params.BadParameter("status", f"{unknown[0][:20]!r} is not open or closed")
    is_open = None if len(set(status)) != 1 else status[0] == "open"
    lat = params.number(query, "lat", low=-90, high=90)
    lng = params.number(query, "long", low=-180, high=180)
    radius = params.number(query, "radius", low=1, high=50_000)
    if (lat is None) != (lng is None) or (radius is not None and lat is None):
        raise params.BadParameter("lat", "lat, long and radius go together")
    updated_after = params.optional_datetime(query, "updated_after")
    updated_before = params.optional_datetime(query, "updated_before")
    # "What changed since X" must find old requests changed recently, so a search by update
    # time alone is not also held to the default 90 days of creation.
    by_update_only = (updated_after or updated_before) and not (
        params.exact(query, "start_date") or params.exact(query, "end_date")
    )
    for name in ("start_date", "end_date"):  # checked even when ids or update times win
        params.optional_datetime(query, name)
    start, end = (None, None) if references or by_update_only else params.date_window(query, now)
    search = PublicSearch(
        council_ids=_council_ids(query),
        references=references,
        service_codes=params.comma_list(query, "service_code"),
        is_open=is_open,
        created_from=start,
        created_before=end,
        updated_after=updated_after,
        updated_before=updated_before,
        center=Point(lat, lng) if lat is not None else None,
        radius_m=radius or (500.0 if lat is not None else None),
        bbox=params.bbox(query),
    )
    extensions = params.boolean(query, "extensions")
    # One more than asked tells whether there is a next page without counting.
    listing = public_cases_search(
        search=search, offset=offset, limit=limit + 1, with_values=extensions
    )
    headers = {}
    if paged and len(listing.rows) > limit:
        next_page = query.copy()
        next_page["page"] = str(offset // limit + 2)
        next_page["page_size"] = str(limit)
        headers["Link"] = f'<{request.path}?{next_page.urlencode()}>; rel="next"'
    del listing.rows[limit:]
    return _render_requests(request, listing, fmt, extensions=extensions, headers=headers)


def _attributes(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in form:
        match = _ATTRIBUTE.match(key)
        if not match:
            continue
        items = [v for v in form.getlist(key) if v != ""]
        code = match.group(1)
        if match.group(2) or len(items) > 1:
            values.setdefault(code, [])
            if isinstance(values[code], list):
                values[code].extend(items)
        elif items:
            values[code] = items[0]
    return values


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    form, files = _form(request)
    # Keys belong to one council, so the key says where the request goes; a location in
    # another council is refused as not valid for this key.
    key = _api_key(form)
    council = _key_council(key, form)
    lat = params.number(form, "lat", low=-90, high=90)
    lng = params.number(form, "long", low=-180, high=180)
    if (lat is None) != (lng is None):
        raise params.BadParameter(
            "lat" if lat is None else "long", "is required when the other coordinate is given"
        )
    address = params.value(form, "address_string")
    address_id = params.value(form, "address_id")[:100]
    if not address and address_id and address_id != "#NOTPINPOINTED#":
        # We hold no address register to look the id up in; keep it for staff to resolve.
        address = f"Address id {address_id}"
    area_id = None
    if lat is None:
        if not address:
            raise params.BadParameter(
                "lat", "a location is required: lat and long, address_string or address_id"
            )
        # Geocode from our own gazetteer where we can; otherwise the address is kept as given
        # and the case is marked approximately located for staff to pin down.
        matches = areas_named_in(text=address, council_ids={council.id})
        area_id = matches[0][1] if len(matches) == 1 else None
    else:
        located = council_for_point(lat=lat, lng=lng)
        if located.id != council.id:
            raise params.BadParameter(
                "lat",
                f"the point is in {located.name}, outside {council.name} (the council "
                "this api_key and jurisdiction are for)",
            )
    code = params.identifier(form, "service_code")
    if not code:
        raise params.BadParameter("service_code", "is required")
    service = service_get(council=council, code=code)
    description = form.get("description", "")
    # The domain's limits (cases.limits), checked before the photos are read and decoded.
    if len(description) > MAX_DESCRIPTION:
        raise params.BadParameter("description", f"must be {MAX_DESCRIPTION} characters or fewer")
    photos = [
        upload
        for name in files
        for upload in files.getlist(name)
        if name == "media" or re.fullmatch(r"photo\d{0,2}", name)
    ]
    if len(photos) > MAX_PHOTOS:
        raise params.BadParameter("media", f"at most {MAX_PHOTOS} photos")
    if any(p.size > MAX_PHOTO_BYTES for p in photos):
        raise params.BadParameter(
            "media", f"each photo must be {MAX_PHOTO_BYTES // (1024 * 1024)} MB or smaller"
        )
    media_urls = [u.strip() for u in form.getlist("media_url") if u.strip()]
    bad = next((u for u in media_urls if not _MEDIA_URL.fullmatch(u)), None)
    if bad is not None:
        raise params.BadParameter(
            "media_url",
            f"{bad[:60]!r} is not an http or https URI (RFC 3986: percent-encode other characters)",
        )
    values = _attributes(form)
    unknown = set(values) - {f["code"] for f in service.current_version.document["fields"]}
    if unknown:
        log.info("Open311 create ignored unknown attributes %s", sorted(unknown)[:20])
    name = " ".join(
        p for p in (params.value(form, "first_name"), params.value(form, "last_name")) if p
    )
    phone = params.value(form, "phone")
    if len(phone) > MAX_PHONE_TEXT:
        raise params.BadParameter("phone", f"must be {MAX_PHONE_TEXT} characters or fewer")
    phone_as_given = ""
    if reporter_phone_number(phone) is None:
        # The person is not there to correct it, and a report is worth more than a phone
        # number: keep the report without one, and the text for staff (ADR 71).
        phone, phone_as_given = "", phone
    new = NewRequest(
        service_code=service.code,
        lat=lat,
        lng=lng,
        area_id=area_id,
        address=address,
        description=description,
        values=values,
        reporter={"name": name[:200], "email": params.value(form, "email"), "phone": phone},
        media_urls=media_urls,
        phone_as_given=phone_as_given,
    )
    client_key = request.headers.get("Idempotency-Key", "")
    if not _IDEMPOTENCY_KEY.fullmatch(client_key):
        raise params.BadParameter(
            "Idempotency-Key",
            f"must be at most {MAX_IDEMPOTENCY_KEY} visible ASCII characters, no spaces",
        )
    if not client_key:
        report_url = _FMS_REPORT_URL.search(description)
        client_key = f"fms:{report_url.group()}" if report_url else ""
    service_type = service.current_version.document.get("open311", {}).get("type", "realtime")
    outcome = request_create(
        council=council,
        key=key,
        new=new,
        service_type=service_type,
        photos=[p.read() for p in photos],
        client_key=client_key,
    )
    item: dict[str, Any] = {"service_notice": ""}
    if service_type == "batch":
        item["token"] = outcome.token
    elif service_type == "realtime" and outcome.case is not None:
        item["service_request_id"] = outcome.case.reference
    return render([item], fmt, root="service_requests")


@endpoint("GET", root="service_requests")
def request_one(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    if not _REFERENCE.fullmatch(request_id):
        raise NotFound(f"No request {request_id[:40]!r}")
    extensions = params.boolean(request.GET, "extensions")
    listing = public_case_by_reference(
        reference=request_id, council_ids=_council_ids(request.GET), with_values=extensions
    )
    return _render_requests(request, listing, fmt, extensions=extensions)


@endpoint("GET", root="service_requests")
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    if not _TOKEN.fullmatch(token):
        raise NotFound(f"No token {token[:40]!r}")
    pending = pending_request_get(token=token, council_ids=_council_ids(request.GET))
    item: dict[str, Any] = {"token": pending.token}
    if pending.case is not None:
        item = {"service_request_id": pending.case.reference, "token": pending.token}
    return render([item], fmt, root="service_requests")


# --- updates (mySociety extension) -----------------------------------------------------------


@endpoint("GET", "POST", root="service_request_updates")
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_update(request, fmt)
    start, end = params.date_window(request.GET, clock.now())
    found = public_updates_between(start=start, end=end, council_ids=_council_ids(request.GET))
    return render(
        [serializers.update(event, case) for event, case in found],
        fmt,
        root="service_request_updates",
    )


def _post_update(request: HttpRequest, fmt: str) -> HttpResponse:
    form, _files = _form(request)
    key = _api_key(form)
    reference = params.identifier(form, "service_request_id")
    if not reference:
        raise params.BadParameter("service_request_id", "is required")
    client_update_id = params.identifier(form, "update_id")
    if not client_update_id:
        raise params.BadParameter("update_id", "is required")
    if len(client_update_id) > MAX_UPDATE_ID:
        # Cut short, two ids sharing their first 100 characters would be taken for one.
        raise params.BadParameter("update_id", f"must be {MAX_UPDATE_ID} characters or fewer")
    given = params.value(form, "status")
    if not given:
        raise params.BadParameter("status", "is required")
    # mySociety's extended set, as templates map states: FixMyStreet sends it in capitals.
    status = given.lower()
    if status not in FMS_STATUSES or given not in (status, status.upper()):
        raise params.BadParameter("status", f"{given[:30]!r} is not a known status")
    params.optional_datetime(form, "updated_datetime")
    description = form.get("description", "")
    if len(description) > 4000:  # as sent, like a create's; the case keeps it cleaned
        raise params.BadParameter("description", "must be 4000 characters or fewer")
    council = _jurisdiction(form)
    case = public_case_get_for_update(
        reference=reference[:40], council_ids=frozenset([council.id]) if council else None
    )
    if key.council_id != case.council_id:
        raise Forbidden(f"api_key is not valid for {case.council.name}")
    event_id = client_update_post(
        council=case.council,
        key=key,
        case=case,
        client_update_id=client_update_id,
        message=description,
        status=status,
    )
    return render([{"update_id": str(event_id)}], fmt, root="service_request_updates")


ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT")
_SLASHES = re.compile(r"//+")


@endpoint(*ANY_METHOD, root="errors")
def unknown(request: HttpRequest, fmt: str) -> HttpResponse:
    raise NotFound(f"No Open311 resource at {request.path[:100]!r}")


@csrf_exempt  # a client's POST to a wrong path is a 404 like its GET, not a CSRF page
def unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under /open311/ that no route takes: `//` read as `/` (clients that append a
    slash to discovery's `url`, which ends with one, ask for `v2//services.xml`), else the
    Open311 404 in the format the path asks for, whatever the method."""
    single = _SLASHES.sub("/", request.path_info)
    if single != request.path_info:
        try:
            match = resolve(single)
        except Resolver404:
            match = None
        if match is not None and match.namespace == "open311" and match.url_name != "unknown":
            return match.func(request, *match.args, **match.kwargs)
    fmt = "xml" if request.path_info.rstrip().endswith(".xml") else "json"
    response = unknown(request, fmt=fmt)
    del response["Allow"]  # no method is served at a path that does not exist
    return response


def _not_allowed(request: HttpRequest, allowed: str) -> HttpResponse | None:
    """The Open311 405 for the pages that are not operations (documentation, photos)."""
    if request.method in ("GET", "HEAD"):
        return None
    _drain(request)
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        del response["Content-Type"]
    else:
        response = error_response(405, f"{request.method[:20]} is not allowed here")
    response["Allow"] = allowed
    for header, value in CORS.items():
        response[header] = value
    return response


# --- media and documentation ------------------------------------------------------------------


@csrf_exempt
def media(request: HttpRequest, attachment_id: int) -> HttpResponse:
    refused = _not_allowed(request, "GET, HEAD, OPTIONS")
    if refused is not None:
        return refused
    try:
        attachment = public_attachment(attachment_id=attachment_id)
        handle = attachment.file.open("rb")
    except (NotFound, OSError):
        return error_response(404, "No such photo")
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


@csrf_exempt
def docs(request: HttpRequest) -> HttpResponse:
    refused = _not_allowed(request, "GET, HEAD, OPTIONS")
    if refused is not None:
        return refused
    base = request.build_absolute_uri("/open311/v2/")
    example_council = next(iter(council_list()), None)
    return render_page(
        request,
        "open311/docs.html",
        {
            "base": base,
            "discovery": request.build_absolute_uri("/open311/discovery.json"),
            "council": example_council,
            "services": [serializers.service(s) for s in _services({})][:5],
        },
    )


# The OpenAPI document of this surface, as committed and pinned by tests/test_open311_openapi.py.
OPENAPI_DOCUMENT = settings.BASE_DIR / "docs" / "api" / "open311.openapi.yaml"
OPENAPI_CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "yaml": "application/yaml; charset=utf-8",
}


@functools.cache
def _openapi_body(fmt: str) -> bytes:
    text = OPENAPI_DOCUMENT.read_text(encoding="utf-8")
    if fmt == "yaml":
        return text.encode("utf-8")
    return json.dumps(yaml.safe_load(text), ensure_ascii=False, indent=1).encode("utf-8")


@csrf_exempt
def openapi(request: HttpRequest, fmt: str) -> HttpResponse:
    """The OpenAPI document at a stable address (`/open311/openapi.json`, also `.yaml`), for
    schemathesis, client generators and validators; discovery links to it."""
    refused = _not_allowed(request, "GET, HEAD, OPTIONS")
    if refused is not None:
        return refused
    try:
        body = _openapi_body(fmt)
    except OSError:  # an installation without the repository's docs/
        return error_response(404, "The OpenAPI document is not installed here")
    response = HttpResponse(body, content_type=OPENAPI_CONTENT_TYPES[fmt])
    response["Cache-Control"] = "public, max-age=3600"
    for header, value in CORS.items():
        response[header] = value
    return response
