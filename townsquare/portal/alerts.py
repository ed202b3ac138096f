"""Email alerts about new reports in an area, and the links every notification email carries:
confirm a subscription, and unsubscribe in one click (RFC 8058)."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from townsquare.catalogue.selectors import services_for_council
from townsquare.core.errors import InvalidInput, NotFound
from townsquare.core.numbers import whole_number
from townsquare.core.ratelimit import limit_email
from townsquare.councils.selectors import council_get, council_list
from townsquare.geo.points import Point
from townsquare.messaging import services as messaging
from townsquare.portal.error_messages import NOT_SENT, input_text

log = logging.getLogger(__name__)

# The distances the form offers; area_alert_subscribe decides which it accepts.
RADII = (250, 500, 1000, 2000, 5000)


def _errors_in_order(errors: dict[str, str]) -> list[tuple[str, str]]:
    order = ["where", "area", "lat", "lng", "radius", "services", "frequency", "email"]
    return sorted(errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)


@require_safe
def councils(request: HttpRequest) -> HttpResponse:
    return render(request, "alerts/councils.html", {"councils": council_list()})


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        council = council_get(slug=slug)
    except NotFound:
        return render(
            request,
            "alerts/councils.html",
            {"councils": council_list(), "not_found": True},
            status=404,
        )
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
    status = 200
    if request.method == "POST":
        try:
            errors, subscribed = _subscribe(request, council, wards, form)
        except messaging.MessageNotQueued:
            # The outbox could not take the confirmation (the database busy or full): nothing
            # was kept, so the person can simply send the form again.
            log.exception("Could not queue an area alert confirmation")
            errors, subscribed = {"email": str(NOT_SENT)}, False
            status = 503
        if subscribed:
            request.session["alerts_email"] = form["email"].strip().lower()
            return redirect("portal:alerts_check_email", slug=council.slug)
    return render(
        request,
        "alerts/subscribe.html",
        {
            "page_council": council,
            "council": council,
            "wards": wards,
            "services": services,
            "radii": RADII,
            "form": form,
            "errors": errors,
            "error_list": _errors_in_order(errors),
        },
        status=400 if errors and status == 200 else status,
    )


def _radius(form: dict[str, Any]) -> int:
    # Not a whole number is not one of the distances offered: 0, which the service refuses
    # (so the distance is asked for again even when the place could not be read).
    radius = whole_number(form["radius"])
    return radius if radius is not None else 0


def _subscribe(
    request: HttpRequest, council, wards: list, form: dict[str, Any]
) -> tuple[dict[str, str], bool]:
    """Turn the form into area_alert_subscribe's arguments and its problems into messages by
    the form's inputs. Every rule is the service's: this only reads the form."""
    errors: dict[str, str] = {}
    area = point = None
    if form["where"] == "ward":
        area = next((w for w in wards if str(w.id) == form["area"]), None)
    elif form["where"] == "point":
        try:
            point = Point.parse(form["lat"], form["lng"])
        except InvalidInput as exc:
            errors.update(
                {
                    "lng" if name == "long" else name: input_text(name, problems[0])
                    for name, problems in exc.problems.items()
                }
            )
    try:
        if not request.user.is_authenticated:
            limit_email(form["email"])  # a confirmation link goes to the address typed (ADR 133)
        messaging.area_alert_subscribe(
            council=council,
            email=form["email"],
            area=area,
            point=point,
            radius_m=_radius(form) if form["where"] == "point" else None,
            service_codes=form["services"],
            frequency=form["frequency"],
            language=get_language() or "en",
            user=request.user if request.user.is_authenticated else None,
        )
    except InvalidInput as exc:
        for name, problems in exc.problems.items():
            problem = problems[0]
            if name == "area" and problem.code == "required":
                if form["where"] == "ward":
                    errors["area"] = _("Select a ward from the list")
                elif form["where"] != "point":  # a point that could not be read says so
                    errors["where"] = input_text(name, problem)
            else:
                errors.setdefault(name, input_text(name, problem))
        return errors, False
    return errors, not errors


@require_safe
def check_email(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        council = council_get(slug=slug)
    except NotFound:
        return redirect("portal:alerts")
    return render(
        request,
        "alerts/check_email.html",
        {
            "page_council": council,
            "council": council,
            "email": request.session.get("alerts_email", ""),
        },
    )


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
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
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        sub = messaging.subscription_for_token(token=token)
    except NotFound:
        return render(request, "alerts/bad_link.html", status=404)
    if request.method == "POST":
        sub = messaging.subscription_unsubscribe(token=token)
        return render(request, "alerts/unsubscribed.html", {"subscription": sub})
    return render(request, "alerts/unsubscribe.html", {"subscription": sub, "token": token})
