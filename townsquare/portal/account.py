"""Signing in and out of the citizen web (see signin.py for the rules of the links)."""

from __future__ import annotations

import logging

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.services import cases_link_to_citizen
from townsquare.core.errors import InvalidInput
from townsquare.core.links import public_link
from townsquare.core.ratelimit import client_address
from townsquare.messaging.services import MessageNotQueued
from townsquare.portal import drafts, oidc_views
from townsquare.portal.error_messages import NOT_SENT
from townsquare.portal.signin import safe_next, sign_in_link_send, sign_in_link_use

SESSION_SENT_TO = "signin_sent_to"
log = logging.getLogger(__name__)


def see_other(to: str, **kwargs) -> HttpResponse:
    response = redirect(to, **kwargs)
    response.status_code = 303
    return response


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_path = safe_next(request.POST.get("next") or request.GET.get("next", ""))
    if request.method == "GET":
        return render(
            request,
            "signin/start.html",
            {"next": next_path, "email": "", "one_login": oidc_views.one_login_label()},
        )
    email = request.POST.get("email", "")[:300]
    try:
        wait = sign_in_link_send(
            email=email,
            requester_address=client_address(request),
            next_path=next_path,
            build_url=lambda token: public_link("portal:sign_in_link", token=token),
            staff_sign_in_url=public_link("staff:sign_in"),
        )
    except InvalidInput as exc:
        return render(
            request,
            "signin/start.html",
            {
                "next": next_path,
                "email": email,
                "error": exc.errors["email"][0],
            },
            status=400,
        )
    except MessageNotQueued:
        log.exception("Could not queue a sign-in link")
        return render(
            request,
            "signin/start.html",
            {
                "next": next_path,
                "email": email,
                "error": str(NOT_SENT),
            },
            status=503,
        )
    if wait:
        # The form again, with a message that points to the links already sent; Retry-After
        # as every other 429 carries.
        response = render(
            request,
            "signin/start.html",
            {
                "next": next_path,
                "email": email,
                "error": _(
                    "You have asked for several links in the last few minutes. Check your "
                    "email: any link already sent will sign you in. Or try again later."
                ),
            },
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
    request.session[SESSION_SENT_TO] = email.strip().lower()
    return see_other("portal:sign_in_sent")


def sign_in_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "signin/sent.html", {"email": request.session.get(SESSION_SENT_TO, "")})


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only the POST uses the link. Mail scanners that open links ahead
    of the person would otherwise spend a link meant to work once."""
    if request.method == "GET":
        return render(request, "signin/confirm.html", {"token": token})
    used = sign_in_link_use(token=token)
    if used is None:
        return render(request, "signin/expired.html", status=400)
    user, next_path = used
    anonymous_drafts = drafts.session_draft_keys(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    drafts.drafts_adopt(keys=anonymous_drafts, user=user)
    # The link proved the address is theirs: what they sent with it without signing in
    # (applications above all, which only their maker may track) is theirs too.
    cases_link_to_citizen(user_id=user.pk, email=user.email, actor=principal_for_user(user))
    response = redirect(next_path or reverse("portal:my_requests"))
    response.status_code = 303
    return response


@csrf_protect
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    # Signed in with One Login: sign out there too (which tells the other services used).
    at_provider = oidc_views.one_login_sign_out(request)
    if at_provider is not None:
        return at_provider
    logout(request)
    return render(request, "signin/signed_out.html")
