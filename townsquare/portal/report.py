"""Report a problem: choose a council, then the problem, then one form page.

The form places the report with a pin on a map (ui/map.js, when JavaScript runs) or, for
everyone, by a street or place from the gazetteer or a ward, with a description of the place
(then the case is marked approximately located). Before a report is sent, open reports of the
same kind nearby are shown so the person can support one instead. A report from someone who
gave an email address stays out of public view until they follow the link sent to it.

Every rule about the report itself is checked by `case_create`; this module only turns the
form into its arguments and its errors into the GOV.UK error summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.limits import MAX_ADDRESS, MAX_DESCRIPTION, MAX_NAME, MAX_PHOTO_BYTES
from townsquare.cases.selectors import (
    public_case_by_reference,
    public_report_for_support,
    public_reports_nearby,
)
from townsquare.cases.services import (
    Reporter,
    case_check,
    case_support,
    supporter_digest,
)
from townsquare.catalogue.fields import clean_field_value, clean_field_values
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.questions import Question, date_parts_from, questions_for
from townsquare.catalogue.selectors import (
    document_in_language,
    service_get,
    services_for_council,
)
from townsquare.core.errors import InvalidInput, NotFound, PermissionDenied, Problem
from townsquare.core.numbers import whole_number
from townsquare.core.ratelimit import RateLimited, limit_email
from townsquare.councils.gazetteer import PlaceMatch, normalise
from townsquare.councils.models import Council
from townsquare.councils.selectors import (
    council_get,
    council_list,
    gazetteer_about,
    place_by_key,
)
from townsquare.geo.points import Point
from townsquare.portal import following
from townsquare.portal.confirmation import SENT_SALT, send_confirmation
from townsquare.portal.error_messages import error_parts, input_text, question_text
from townsquare.portal.expected import expected_by_context, expected_within
from townsquare.portal.photos import (
    pending_photos_discard,
    pending_photos_from,
    photos_per_form,
)
from townsquare.portal.places import MAX_QUERY, attributions, search_places
from townsquare.portal.service_help import service_help
from townsquare.triage.selectors import category_suggestions
from townsquare.triage.services import case_create_hiding_personal_data

# How far around the pin (or the chosen street) reports of the same kind are offered for support.
NEARBY_RADIUS_M = 250
SUPPORTED_KEY = "report.supported"
HIDDEN_KEY = "report.hidden"
# What the resident is told was hidden from the public copy of their report (ADR 201).
HIDDEN_NAMES = {
    "email": gettext_lazy("an email address"),
    "phone": gettext_lazy("a phone number"),
    "nhs_number": gettext_lazy("an NHS number"),
    "ni_number": gettext_lazy("a National Insurance number"),
    "vehicle_registration": gettext_lazy("a vehicle registration"),
    "card_number": gettext_lazy("a card number"),
    "home_address": gettext_lazy("a home address"),
    "name": gettext_lazy("a name"),
}


def hidden_descriptions(kinds: list[str]) -> list[str]:
    return [str(HIDDEN_NAMES[kind]) for kind in kinds if kind in HIDDEN_NAMES]


# Where each error of case_create is shown on the form (template fields use "field-<code>").
_ERROR_TARGETS = {
    "location": "area",
    "address": "place",
    "area": "area",
    "media": "photos",
    "description": "description",
    "email": "email",
    "phone": "phone",
    "name": "name",
}
# A point outside the council came from the pin on the map.
_CODE_TARGETS = {"outside_council": "map"}


def _council_or_404(slug: str) -> Council:
    try:
        return council_get(slug=slug)
    except NotFound:
        raise Http404(_("We cannot find that council")) from None


def _report_services(council: Council) -> list[ServiceTemplate]:
    return services_for_council(council=council, kind="report", include_private=False)


@require_safe
def councils(request: HttpRequest) -> HttpResponse:
    """Choose the council, or enter a postcode or street to find it (as the home page): one
    council found goes straight to its problems, carrying the place on to the form."""
    context: dict[str, Any] = {"councils": council_list(), "where": ""}
    if "where" not in request.GET:
        return render(request, "report/councils.html", context)
    where = " ".join(request.GET["where"].split())[:MAX_QUERY]
    context["where"] = where
    if not where:
        context["error"] = _("Enter a postcode or the name of a street or place")
        return render(request, "report/councils.html", context, status=400)
    matches = search_places(query=where, limit=20)
    slugs = list(dict.fromkeys(match.council_slug for match in matches))
    if len(slugs) == 1:
        return redirect(
            reverse("portal:report_services", args=[slugs[0]]) + "?" + urlencode({"where": where})
        )
    context.update(matches=matches, searched=True, attributions=attributions(matches))
    return render(request, "report/councils.html", context)


@require_safe
def services(request: HttpRequest, slug: str) -> HttpResponse:
    """The council's report categories in their groups, with a search box (filtered on the
    server, so it works without JavaScript; the page's script filters as you type)."""
    council = _council_or_404(slug)
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    describe = request.GET.get("describe", "").strip()[:MAX_DESCRIPTION]
    wanted = normalise(query)
    groups: dict[str, list[ServiceTemplate]] = {}
    every = _report_services(council)
    for service in every:
        searched = (
            f"{service.display_group} {service.display_name} {service.group} "
            f"{service.name} {service.code}"
        )
        if not wanted or wanted in normalise(searched):
            groups.setdefault(service.display_group, []).append(service)
    return render(
        request,
        "report/services.html",
        {
            "page_council": council,
            "council": council,
            "groups": sorted(groups.items()),
            "query": query,
            "any_services": bool(every),
            # A street or postcode typed on /report/, searched for again on the form.
            "where": " ".join(request.GET.get("where", "").split())[:MAX_QUERY],
            "describe": describe,
            "max_description": MAX_DESCRIPTION,
            "suggested": _suggestions(council, describe) if describe else None,
        },
    )


@require_safe
def suggestions(request: HttpRequest, slug: str) -> HttpResponse:
    """The three likeliest problems for the words typed so far, as JSON for the page's script
    (the page shows the same after the description is sent, without the script)."""
    council = _council_or_404(slug)
    text = request.GET.get("text", "")[:MAX_DESCRIPTION]
    response = JsonResponse({"suggestions": _suggestions(council, text)})
    response["Cache-Control"] = "private, max-age=60"
    return response


def _suggestions(council: Council, text: str) -> list[dict[str, Any]]:
    found = category_suggestions(council=council, text=text)
    return [
        {
            "code": s.service.code,
            "name": s.service.display_name,
            "url": reverse("portal:report_form", args=[council.slug, s.service.code])
            + "?"
            + urlencode({"description": text.strip()}),
            "probability": round(s.probability, 3),
            "words": s.words,
        }
        for s in found
    ]


@csrf_exempt  # checked below, once the size of the request is known to be reasonable
@require_http_methods(["GET", "HEAD", "POST"])
def form(request: HttpRequest, slug: str, service_code: str) -> HttpResponse:
    council = _council_or_404(slug)
    if service_code not in {s.code for s in _report_services(council)}:
        raise Http404(_("This council does not take reports of that kind online"))
    if request.method == "POST":
        # Refuse what is too large before reading it, with a page that says what to do.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REPORT_MAX_UPLOAD_BYTES:
            return _too_large(request, council, service_code)
        try:
            request.POST  # noqa: B018 - parse now, so an oversized text field is caught here
        except RequestDataTooBig:
            return _too_large(request, council, service_code)
    return _form(request, council=council, service_code=service_code)


def _too_large(request: HttpRequest, council: Council, service_code: str) -> HttpResponse:
    # The body was not read, so the connection must not be reused for another request.
    response = render(
        request,
        "report/too_large.html",
        {
            "page_council": council,
            "council": council,
            "form_url": reverse("portal:report_form", args=[council.slug, service_code]),
            "limit_mb": settings.REPORT_MAX_UPLOAD_BYTES // (1024 * 1024),
            "photo_mb": MAX_PHOTO_BYTES // (1024 * 1024),
            "max_photos": photos_per_form(),
            "max_description": MAX_DESCRIPTION,
        },
        status=413,
    )
    response["Connection"] = "close"
    return response


@csrf_protect
def _form(request: HttpRequest, *, council: Council, service_code: str) -> HttpResponse:
    service = service_get(council=council, code=service_code)
    document = document_in_language(service.current_version, get_language())
    data = request.POST if request.method == "POST" else None
    user = request.user if request.user.is_authenticated else None
    questions = questions_for(document["fields"], data)
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    places = _place_choices(council, query, data)
    photos, photo_errors = ([], {}) if data is None else pending_photos_from(request)
    own: dict[str, str] = {}
    domain: dict[str, list[Problem]] = {}
    nearby = None
    if data is not None:
        location, own = _location(council, data)
        own.update(_form_errors(data, user))
        arguments = _arguments(council, service_code, questions, data, location, user)
        arguments["photos"] = [photo.image for photo in photos]
        try:
            if not own and not photo_errors:
                case_check(**arguments)
                nearby = _nearby(council, service_code, location, data)
                if nearby is None:
                    if arguments["awaiting_confirmation"]:
                        # A confirmation email goes to whatever address was typed (ADR 133).
                        limit_email(data.get("email", ""))
                    case, hidden = case_create_hiding_personal_data(**arguments)
                    pending_photos_discard(photos)
                    if hidden:
                        # Told on the next page (by kind, never the values), to this browser only.
                        request.session[HIDDEN_KEY] = {"reference": case.reference, "kinds": hidden}
                    return _after_create(request, case, user)
            else:
                # The form is refused anyway: list the answers' problems too, then whatever
                # else case_create would refuse first.
                domain = _field_problems(document["fields"], arguments["values"])
                arguments["photos"] = []
                case_check(**arguments)
        except InvalidInput as exc:
            for key, problems in exc.problems.items():
                domain.setdefault(key, problems)
        except NotFound:
            raise Http404(_("This council does not take reports of that kind online")) from None
        for key, message in photo_errors.items():
            own.setdefault(key, message)
    summary = _error_summary(own, domain, questions)
    initial = dict(data.items()) if data is not None else {}
    if user is not None and data is None:
        initial.update(email=user.email, name=user.full_name)
    if data is None and request.GET.get("description"):
        # Carried from "describe the problem" on the page before, where it was suggested.
        initial["description"] = request.GET["description"][:MAX_DESCRIPTION]
    context = {
        "page_council": council,
        "council": council,
        "service": service,
        "intro": document.get("description", ""),
        "questions": questions,
        "areas": list(council.areas.order_by("name").values_list("id", "name")),
        "data": initial,
        "signed_in": user is not None,
        "query": query,
        "places": places,
        "gazetteer": gazetteer_about(council_id=council.id),
        "place_attributions": attributions(places),
        "photos": photos,
        "max_photos": photos_per_form(),
        "photo_mb": MAX_PHOTO_BYTES // (1024 * 1024),
        "nearby": nearby,
        "errors": {target: message for target, message, _first in summary},
        "error_summary": [(f"#{first}", message) for _target, message, first in summary],
        "max_place": MAX_ADDRESS,
        "max_description": MAX_DESCRIPTION,
        "max_name": MAX_NAME,
        "map": _map_context(council, service_code),
        "help": service_help(
            council_id=council.id, service_code=service_code, language=get_language()
        ),
    }
    return render(request, "report/form.html", context, status=400 if summary else 200)


def _map_context(council: Council, service_code: str) -> dict[str, Any]:
    return {
        "bounds": f"{council.min_lat},{council.min_lng},{council.max_lat},{council.max_lng}",
        "boundary_url": reverse("portal:map_boundaries", args=[council.slug]),
        "reports_url": reverse("portal:map_reports")
        + "?"
        + urlencode({"council": council.slug, "service": service_code, "status": "open"}),
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
    }


@dataclass(frozen=True)
class Location:
    """Where the form says the problem is; `approximate` when not from a pin on the map."""

    point: Point | None = None
    area_id: int | None = None
    approximate: bool = True
    place_name: str = ""


def _location(council: Council, data: Any) -> tuple[Location, dict[str, str]]:
    """A pin from the map wins; then a street or place chosen from the search; then a ward."""
    lat, lng = data.get("lat", "").strip(), data.get("lng", "").strip()
    if lat or lng:
        try:
            return Location(point=Point.parse(lat, lng), approximate=False), {}
        except InvalidInput:
            return Location(), {
                "map": _(
                    "The position of the pin could not be read. Place the pin on the map again."
                )
            }
    key = data.get("place_key", "").strip()
    if key:
        place = place_by_key(key=key)
        if place is None or place.council_id != council.id:
            return Location(), {"place_key": _("Choose one of the streets or places listed")}
        if place.kind in ("council", "ward"):
            return Location(area_id=place.area_id, place_name=place.name), {}
        return Location(point=Point(place.lat, place.lng), place_name=place.label), {}
    area = data.get("area", "").strip()
    if area:
        if whole_number(area) is None:
            return Location(), {"area": _("Select a ward from the list")}
        return Location(area_id=whole_number(area)), {}
    if data.get("map_shown") == "yes":
        message = _(
            "Show where the problem is: place a pin on the map, search "
            "for a street or place, or select the ward"
        )
    else:  # no map without JavaScript: name only what the page shows
        message = _("Show where the problem is: search for a street or place, or select the ward")
    return Location(), {"area": message}


def _place_choices(council: Council, query: str, data: Any) -> list[PlaceMatch]:
    """The streets and places to choose from: those the search found, or the one chosen."""
    if query:
        return search_places(query=query, limit=10, council_id=council.id)
    key = (data or {}).get("place_key", "")
    chosen = place_by_key(key=key) if key else None
    return [chosen] if chosen is not None and chosen.council_id == council.id else []


def _nearby(council: Council, service_code: str, location: Location, data: Any):
    """Open reports of the same kind near the point, unless the person has seen them already
    (or there are none)."""
    if data.get("nearby_checked") == "yes" or location.point is None:
        return None
    listing = public_reports_nearby(
        council_id=council.id,
        service_code=service_code,
        center=location.point,
        radius_m=NEARBY_RADIUS_M,
    )
    if not listing.rows:
        return None
    return [
        {**row, "service_name": listing.services[row["service_id"]].display_name}
        for row in listing.rows
    ]


def _after_create(request: HttpRequest, case, user) -> HttpResponse:
    if case.awaiting_confirmation:
        sent = send_confirmation(request, case)
        token = signing.dumps({"c": case.id, "sent": sent}, salt=SENT_SALT)
        return _see_other_to(reverse("portal:report_check_email", args=[token]))
    return _see_other(case.reference)


def _see_other_to(url: str) -> HttpResponse:
    response = redirect(url)
    response.status_code = 303
    return response


def _see_other(reference: str) -> HttpResponse:
    response = redirect("portal:report_done", reference=reference)
    response.status_code = 303
    return response


@csrf_protect
@require_POST
def support(request: HttpRequest, reference: str) -> HttpResponse:
    """ "I have this problem too": add support to an open report instead of a new one."""
    try:
        case = public_report_for_support(reference=reference.upper())
    except NotFound:
        raise Http404(_("We cannot find an open report with that reference")) from None
    user = request.user if request.user.is_authenticated else None
    email = request.POST.get("email", "").strip()[:300]
    if user is None and not email:
        # Support counts once per person (ADR 134): someone we cannot tell apart from anyone
        # else is asked to sign in or give an address, not counted again and again.
        url = reverse("portal:report_supported", args=[case.reference])
        return _see_other_to(f"{url}?following=none")
    actor = principal_for_user(user) if user is not None else Principal.anonymous()
    supporter = supporter_digest(user_id=user.pk if user else None, email=email)
    try:
        # A signed-in person counts now; an address once the emailed follow link is followed.
        case = case_support(case=case, actor=actor, supporter=supporter, confirmed=user is not None)
    except InvalidInput:
        raise Http404(_("We cannot find an open report with that reference")) from None
    mode = _follow_supported(case, user=user, email=email)
    if mode == "confirmed":  # the address already follows this report: it is proved
        case = case_support(case=case, actor=actor, supporter=supporter, confirmed=True)
        mode = "email"
    supported = request.session.get(SUPPORTED_KEY, [])
    if case.reference not in supported:
        request.session[SUPPORTED_KEY] = [*supported, case.reference][-100:]
    url = reverse("portal:report_supported", args=[case.reference])
    return _see_other_to(f"{url}?following={mode}" if mode else url)


def _follow_supported(case, *, user, email: str) -> str:
    """A supporter who is signed in, or gave an email address, follows the report (through
    messaging, which owns subscriptions: an email address is confirmed by its own link).
    Returns "user", "email", "confirmed" (the address already followed it) or "" (not
    following: a bad or much-mailed address, or messaging is absent)."""
    if not following.available() or (user is None and not email):
        return ""
    try:
        now_following = following.follow(
            case=case, user=user, email=None if user is not None else email
        )
    except (InvalidInput, PermissionDenied, RateLimited):
        return ""
    if user is not None:
        return "user"
    return "confirmed" if now_following else "email"


@require_safe
def supported(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        listing = public_case_by_reference(reference=reference.upper())
    except NotFound:
        raise Http404(_("We cannot find a public request with that reference")) from None
    row = listing.rows[0]
    council = listing.councils[row["council_id"]]
    return render(
        request,
        "report/supported.html",
        {
            "page_council": council,
            "council": council,
            "row": row,
            "service_name": listing.services[row["service_id"]].display_name,
            "already": row["reference"] in request.session.get(SUPPORTED_KEY, []),
            "following": request.GET.get("following", ""),
        },
    )


@require_safe
def done(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        listing = public_case_by_reference(reference=reference.upper())
    except NotFound:
        raise Http404(_("We cannot find a public request with that reference")) from None
    row = listing.rows[0]
    version = listing.versions[row["service_version_id"]]
    council = listing.councils[row["council_id"]]
    return render(
        request,
        "report/done.html",
        {
            "page_council": council,
            "council": council,
            "reference": row["reference"],
            "service_name": listing.services[row["service_id"]].display_name,
            "expected": expected_within(version.document["sla"]),
            **expected_by_context(
                row["resolve_due_at"],
                is_open=row["is_open"],
                sla=version.document["sla"],
                gss_code=council.gss_code,
            ),
            "confirmed": request.GET.get("confirmed") == "1",
            "hidden": hidden_descriptions(_hidden_kinds(request, row["reference"])),
        },
    )


def _hidden_kinds(request: HttpRequest, reference: str) -> list[str]:
    told = request.session.get(HIDDEN_KEY) or {}
    return list(told.get("kinds", [])) if told.get("reference") == reference else []


# Reading the form.


def _values(questions: list[Question], data: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for question in questions:
        if question.datatype == "multivaluelist":
            values[question.code] = [v for v in data.getlist(question.id) if v]
        elif question.datatype == "datetime":
            values[question.code] = _datetime_value(question.code, data.get(question.id, ""))
        elif question.datatype == "date":
            values[question.code] = date_parts_from(data, question.id)
        else:
            values[question.code] = data.get(question.id, "").strip()
    return values


def _datetime_value(code: str, raw: str) -> str:
    """A date and time as typed ("2026-03-02 07:30") is in the site's time zone unless it
    says otherwise: read by the catalogue, as case_create reads it. Anything unreadable is
    passed on as typed for case_create to refuse."""
    try:
        value = clean_field_value(
            {"code": code, "datatype": "datetime"}, raw, local_zone=timezone.get_current_timezone()
        )
    except InvalidInput:
        return raw.strip()
    return value or ""


def _field_problems(
    fields: list[dict[str, Any]], values: dict[str, Any]
) -> dict[str, list[Problem]]:
    try:
        clean_field_values(fields, values)
    except InvalidInput as exc:
        return dict(exc.problems)
    return {}


def _form_errors(data: Any, user) -> dict[str, str]:
    """What this form itself asks for (a description of the place and a way to reply), by the
    id of the input to correct."""
    errors: dict[str, str] = {}
    # A pin on the map says where; without one, words must (the case is then approximate).
    pinned = data.get("lat", "").strip() and data.get("lng", "").strip()
    if not pinned and not data.get("place", "").strip():
        errors["place"] = _("Describe where the problem is, for example Outside 4 Mill Lane")
    if user is None and not data.get("email", "").strip() and not data.get("phone", "").strip():
        errors["email"] = _(
            "Enter an email address or a phone number so the council can "
            "contact you about this report"
        )
    return errors


def _arguments(
    council: Council,
    service_code: str,
    questions: list[Question],
    data: Any,
    location: Location,
    user,
) -> dict[str, Any]:
    place = data.get("place", "")
    if location.place_name and location.point is not None:
        place = f"{location.place_name}: {place.strip()}" if place.strip() else location.place_name
    email = user.email if user is not None else data.get("email", "")
    document = service_get(council=council, code=service_code).current_version.document
    return {
        "service_code": service_code,
        "council": council,
        "actor": principal_for_user(user) if user is not None else Principal.anonymous(),
        "point": location.point,
        "location_approximate": location.approximate,
        "area_id": location.area_id,
        "address": place,
        "values": _values(questions, data),
        "description": data.get("description", ""),
        "reporter": Reporter(
            name=data.get("name", ""),
            email=email,
            phone=data.get("phone", ""),
            name_public=data.get("name_public") == "yes",
            user_id=user.pk if user is not None else None,
        ),
        "channel": "web",
        # An email address typed by someone not signed in is confirmed before the report is
        # shown publicly (ADR 53).
        "awaiting_confirmation": (
            user is None and bool(email.strip()) and document["privacy"] == "public"
        ),
    }


# Showing errors.


def _error_summary(
    own: dict[str, str], domain: dict[str, list[Problem]], questions: list[Question]
) -> list[tuple[str, str, str]]:
    """(target, message, id of the element to focus) per problem, in the order of the page."""
    by_code = {q.code: q for q in questions}
    found: dict[str, tuple[str, str]] = {
        target: (message, target) for target, message in own.items()
    }
    for key, problems in domain.items():
        if not problems:
            continue
        problem = problems[0]
        question = by_code.get(key)
        if question is not None:
            message = question_text(problem, label=question.label, datatype=question.datatype)
            question.error = message
            question.error_parts = error_parts(problem)
            found.setdefault(question.id, (message, question.error_target))
        elif key in _ERROR_TARGETS:
            target = _CODE_TARGETS.get(problem.code, _ERROR_TARGETS[key])
            found.setdefault(target, (input_text(key, problem), target))
        else:
            found.setdefault("report-form", (input_text(key, problem), "report-form"))
    order = (
        ["map", "place_key", "area", "place"]
        + [q.id for q in questions]
        + ["description", "photos", "email", "phone", "name", "report-form"]
    )
    return [(target, *found[target]) for target in order if target in found]
