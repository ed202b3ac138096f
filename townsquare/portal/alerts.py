"""Email alerts about new reports in an area, and the links every notification email carries:
confirm a subscription, and unsubscribe in one click (RFC 8058)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from townsquare.catalogue.selectors import services_for_council
from townsquare.core.errors import InvalidInput, NotFound
from townsquare.councils.selectors import council_get, council_list
from townsquare.geo.points import Point
from townsquare.messaging import services as messaging
from townsquare.messaging.models import Frequency

RADII = (250, 500, 1000, 2000, 5000)


def _errors_in_order(errors: dict[str, str]) -> list[tuple[str, str]]:
    order = ["where", "area", "lat", "lng", "radius", "services", "frequency", "email"]
    return sorted(errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)


@require_GET
def councils(request: HttpRequest) -> HttpResponse:
    return render(request, "alerts/councils.html", {"councils": council_list()})


def _float(value: str) -> float | None:
    try:
        number = float(value.strip())
    except (ValueError, AttributeError):
        return None
    return number if number == number and abs(number) != float("inf") else None


@csrf_protect
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        council = council_get(slug=slug)
    except NotFound:
        return render(request, "alerts/councils.html", {
            "councils": council_list(), "not_found": True}, status=404)
    wards = list(council.areas.order_by("name").only("id", "name"))
    services = services_for_council(council=council, include_private=False)
    data = request.POST if request.method == "POST" else {}
    form = {
        "where": data.get("where", ""),
        "area": data.get("area", ""),
        "lat": data.get("lat", "")[:30],
        "lng": data.get("lng", "")[:30],
        "radius": data.get("radius", "500"),
        "services": request.POST.getlist("services") if data else [],
        "frequency": data.get("frequency", ""),
        "email": data.get("email", "")[:254],
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        area = point = None
        radius = None
        if form["where"] == "ward":
            area = next((w for w in wards if str(w.id) == form["area"]), None)
            if area is None:
                errors["area"] = _("Select a ward")
        elif form["where"] == "point":
            lat, lng = _float(form["lat"]), _float(form["lng"])
            if lat is None or not -90 <= lat <= 90:
                errors["lat"] = _("Enter a latitude between -90 and 90, like 51.4545")
            if lng is None or not -180 <= lng <= 180:
                errors["lng"] = _("Enter a longitude between -180 and 180, like -2.5879")
            if form["radius"] not in {str(r) for r in RADII}:
                errors["radius"] = _("Select a distance")
            else:
                radius = int(form["radius"])
            if not errors:
                point = Point(lat, lng)
        else:
            errors["where"] = _("Select whether you want alerts for a ward or around a place")
        if form["frequency"] not in Frequency.values:
            errors["frequency"] = _("Select how often you want to hear")
        if not form["email"].strip():
            errors["email"] = _("Enter your email address")
        if not errors:
            try:
                messaging.area_alert_subscribe(
                    council=council, email=form["email"], area=area, point=point,
                    radius_m=radius, service_codes=form["services"],
                    frequency=form["frequency"], language=get_language() or "en",
                    user=request.user if request.user.is_authenticated else None,
                )
            except InvalidInput as exc:
                messages = {
                    "email": _("Enter an email address in the correct format, like "
                               "name@example.com"),
                    "services": _("Select services from the list"),
                    "radius": _("Select a distance"),
                    "area": _("Select a ward"),
                    "frequency": _("Select how often you want to hear"),
                }
                for field in exc.errors:
                    errors[field if field in messages else "email"] = messages.get(
                        field, _("Check your answers and try again"))
            else:
                request.session["alerts_email"] = form["email"].strip().lower()
                return redirect("portal:alerts_check_email", slug=council.slug)
    return render(request, "alerts/subscribe.html", {
        "page_council": council, "council": council, "wards": wards, "services": services,
        "radii": RADII, "form": form, "errors": errors,
        "error_list": _errors_in_order(errors),
    }, status=400 if errors else 200)


@require_GET
def check_email(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        council = council_get(slug=slug)
    except NotFound:
        return redirect("portal:alerts")
    return render(request, "alerts/check_email.html", {
        "page_council": council, "council": council,
        "email": request.session.get("alerts_email", ""),
    })


@csrf_protect
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    # Following the link shows a button: link scanners in mail systems fetch links, and a GET
    # alone must not sign anyone up.
    try:
        sub = messaging.subscription_for_token(token=token, purpose="confirm")
    except NotFound:
        return render(request, "alerts/bad_link.html", status=404)
    if request.method == "POST":
        sub = messaging.subscription_confirm(token=token)
        return render(request, "alerts/confirmed.html", {"subscription": sub})
    return render(request, "alerts/confirm.html", {"subscription": sub, "token": token})


@csrf_exempt  # RFC 8058 one-click: mail clients POST without a form token; the token is signed
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        sub = messaging.subscription_for_token(token=token)
    except NotFound:
        return render(request, "alerts/bad_link.html", status=404)
    if request.method == "POST":
        sub = messaging.subscription_unsubscribe(token=token)
        return render(request, "alerts/unsubscribed.html", {"subscription": sub})
    return render(request, "alerts/unsubscribe.html", {"subscription": sub, "token": token})
