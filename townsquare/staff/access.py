"""Who is signed in to the staff web, in which council, and the decorator every staff view uses.

    @staff_view(policies.can_manage_services)
    def builder(request, ...):
        request.staff.principal   # Principal (roles in every council)
        request.staff.council     # the council being worked in (the switcher sets it)
        return staff_render(request, "staff/builder.html", {...})

A request reaches the view only when its session passed both factors, has not been idle longer
than STAFF_SESSION_IDLE_MINUTES nor lasted longer than STAFF_SESSION_MAX_HOURS, and the policy
allows the principal in the current council; otherwise it is sent to sign in, or refused with
a 403 page that says why.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.core import clock
from townsquare.councils.models import Council
from townsquare.councils.selectors import council_list, councils_by_id
from townsquare.staff.navigation import nav_for

# Session keys.
VERIFIED_AT = "staff.verified_at"  # when both factors were passed (ISO time)
SEEN_AT = "staff.seen_at"  # the last staff request (ISO time)
COUNCIL = "staff.council_id"  # the council being worked in
EXPIRED_NOTICE = "staff.expired"


@dataclass(frozen=True)
class StaffContext:
    principal: Principal
    council: Council
    councils: list[Council]
    user: Any

    def allows(self, policy: Callable[[Principal, int], bool]) -> bool:
        return policy(self.principal, self.council.id)


def session_start(request: HttpRequest) -> None:
    """Mark the session as fully signed in (call right after django.contrib.auth.login)."""
    now = clock.now().isoformat()
    request.session[VERIFIED_AT] = now
    request.session[SEEN_AT] = now
    request.session.set_expiry(settings.STAFF_SESSION_IDLE_MINUTES * 60)


def _expired(request: HttpRequest) -> bool:
    now = clock.now()
    try:
        verified = dt.datetime.fromisoformat(request.session[VERIFIED_AT])
        seen = dt.datetime.fromisoformat(request.session[SEEN_AT])
    except (KeyError, TypeError, ValueError):
        return True
    return now - seen > dt.timedelta(
        minutes=settings.STAFF_SESSION_IDLE_MINUTES
    ) or now - verified > dt.timedelta(hours=settings.STAFF_SESSION_MAX_HOURS)


def councils_of(principal: Principal) -> list[Council]:
    if principal.is_platform_admin:
        return [c for c in council_list()]
    found = councils_by_id(ids=set(principal.council_ids))
    return sorted(found.values(), key=lambda c: c.name)


def sign_in_url(request: HttpRequest) -> str:
    return f"{reverse('staff:sign_in')}?{urlencode({'next': request.get_full_path()})}"


def safe_next(request: HttpRequest, value: str | None) -> str:
    if (
        value
        # Municipedia's staff pages live at /wiki/ (issue 16).
        and value.startswith(("/staff/", "/wiki/"))
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return reverse("staff:home")


def staff_context(request: HttpRequest) -> StaffContext | None:
    """The signed-in staff member's context, or None (not signed in, or the session expired)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or VERIFIED_AT not in request.session:
        return None
    if _expired(request):
        logout(request)
        request.session[EXPIRED_NOTICE] = True
        return None
    principal = principal_for_user(user)
    councils = councils_of(principal)
    if not councils:
        return None
    wanted = request.session.get(COUNCIL)
    council = next((c for c in councils if c.id == wanted), councils[0])
    now = clock.now()
    # Refresh the idle clock at most once a minute, so reading pages rarely writes the session.
    if now - dt.datetime.fromisoformat(request.session[SEEN_AT]) > dt.timedelta(minutes=1):
        request.session[SEEN_AT] = now.isoformat()
    if request.session.get(COUNCIL) != council.id:
        request.session[COUNCIL] = council.id
    return StaffContext(principal=principal, council=council, councils=councils, user=user)


def staff_view(
    policy: Callable[[Principal, int], bool] = policies.is_staff_of,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Require a signed-in staff member whom `policy` allows in the current council."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            context = staff_context(request)
            if context is None:
                return redirect(sign_in_url(request))
            request.staff = context
            if not context.allows(policy):
                return staff_render(request, "staff/forbidden.html", {}, status=403)
            response = view(request, *args, **kwargs)
            # Staff pages hold personal data: never keep them in shared caches or history.
            response.headers.setdefault("Cache-Control", "no-store, private")
            return response

        return wrapped

    return decorate


def staff_render(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """Render a page in the staff layout (templates extend "staff/layout.html")."""
    staff: StaffContext = request.staff
    full = {
        "staff": staff,
        "page_council": staff.council,
        "staff_nav": nav_for(
            principal=staff.principal, council_id=staff.council.id, path=request.path
        ),
        **context,
    }
    return render(request, template, full, status=status)
