"""Residents signing in with GOV.UK One Login: send them off, take them back, link the identity
to an account they already have, and end their sessions when One Login says they signed out
(back-channel logout). The rules are in accounts.identity and the protocol in accounts.oidc.
"""

from __future__ import annotations

import logging
from importlib import import_module
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from townsquare.accounts import identity, levels, oidc
from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.services import cases_link_to_citizen
from townsquare.portal import drafts
from townsquare.portal.signin import safe_next

log = logging.getLogger(__name__)

PENDING = "oidc.pending"
# What the session reached, for services that need a level of confidence.
LEVEL = "identity.level"
PROVIDER = "identity.provider"
# Kept to ask the provider to end its session too when the person signs out here.
ID_TOKEN = "identity.id_token"  # noqa: S105 (a session key)


def one_login_offered() -> bool:
    return bool(settings.ONE_LOGIN_ISSUER and settings.ONE_LOGIN_CLIENT_ID)


def one_login_label() -> str:
    provider = identity.resident_provider() if one_login_offered() else None
    return provider.label if provider else ""


def session_level(request: HttpRequest) -> str:
    """The level of confidence this session reached: none, authenticated or P2."""
    if not request.user.is_authenticated:
        return oidc.LEVEL_NONE
    return request.session.get(LEVEL, oidc.LEVEL_AUTHENTICATED)


def _refused(
    request: HttpRequest, reason: str, message: str, *, status: int = 400, user=None
) -> HttpResponse:
    identity.refusal_record(provider_key=identity.ONE_LOGIN, reason=reason, user=user)
    return render(
        request,
        "signin/identity_refused.html",
        {"message": message, "reason": reason},
        status=status,
    )


def _callback_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("portal:one_login_return"))


def _start(request: HttpRequest, *, level: str, next_path: str, purpose: str) -> HttpResponse:
    provider = identity.resident_provider() if one_login_offered() else None
    if provider is None:
        return render(
            request,
            "signin/identity_refused.html",
            {
                "message": _("Signing in with GOV.UK One Login is not available here."),
                "reason": "not_configured",
            },
            status=404,
        )
    try:
        url, pending = oidc.authorization_start(
            provider,
            redirect_uri=_callback_uri(request),
            level=level,
            next_path=next_path,
            purpose=purpose,
            language=get_language() or "en",
            reauthenticate=purpose == "link",
        )
    except oidc.SignInRefused as refusal:
        return _refused(
            request,
            refusal.reason,
            _(
                "GOV.UK One Login is not answering. Try again later, or sign in "
                "with an emailed link."
            ),
            status=503,
        )
    request.session[PENDING] = pending.as_dict()
    return redirect(url)


@never_cache
@require_safe
def one_login_start(request: HttpRequest) -> HttpResponse:
    """Send the resident to One Login; `level=P2` asks for a checked identity."""
    level = request.GET.get("level", oidc.LEVEL_AUTHENTICATED)
    if level not in (oidc.LEVEL_AUTHENTICATED, oidc.LEVEL_P2):
        level = oidc.LEVEL_AUTHENTICATED
    return _start(
        request, level=level, next_path=safe_next(request.GET.get("next", "")), purpose="sign_in"
    )


@never_cache
@csrf_protect
@require_POST
def one_login_link(request: HttpRequest) -> HttpResponse:
    """A signed-in resident links their One Login: they sign in there again to prove it."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('portal:sign_in')}?next={reverse('portal:my_requests')}")
    return _start(
        request,
        level=oidc.LEVEL_AUTHENTICATED,
        next_path=reverse("portal:my_requests"),
        purpose="link",
    )


REFUSALS = {
    "link_needed": lambda: _(
        "You already have a Townsquare account with this email address. Sign in with an "
        "emailed link, then link GOV.UK One Login to your account from My requests."
    ),
    "staff_account": lambda: _(
        "This email address belongs to a council staff account. Staff sign in at the staff "
        "workspace."
    ),
    "email_not_verified": lambda: _(
        "GOV.UK One Login did not confirm your email address, so we cannot sign you in."
    ),
    "email_mismatch": lambda: _(
        "The GOV.UK One Login you signed in with has a different email address from your "
        "Townsquare account, so we did not link them."
    ),
    "identity_linked_elsewhere": lambda: _(
        "That GOV.UK One Login is already linked to another Townsquare account."
    ),
    "identity_missing": lambda: _(
        "GOV.UK One Login did not send the result of your identity check, so we cannot start "
        "this service. Try again."
    ),
    "not_reauthenticated": lambda: _(
        "To link GOV.UK One Login to your account you need to sign in to it again. Try again."
    ),
    "vot_too_low": lambda: _(
        "This service needs you to prove your identity with GOV.UK One Login, and that was "
        "not done."
    ),
}


@never_cache
@require_safe
def one_login_return(request: HttpRequest) -> HttpResponse:
    """The resident is back from One Login: verify everything before anyone is signed in."""
    raw = request.session.pop(PENDING, None)
    pending = oidc.Pending.from_dict(raw) if isinstance(raw, dict) else None
    provider = identity.resident_provider() if one_login_offered() else None
    if provider is None:
        return _refused(
            request,
            "not_configured",
            _("Signing in with GOV.UK One Login is not available here."),
            status=404,
        )
    params = {k: request.GET.get(k, "")[:2000] for k in ("code", "state", "error", "iss")}
    try:
        signed_in = oidc.authorization_complete(provider, pending, params)
    except oidc.SignInRefused as refusal:
        log.info("One Login sign-in refused: %s", refusal)
        message = (
            REFUSALS[refusal.reason]()
            if refusal.reason in REFUSALS
            else _(
                "We could not sign you in with GOV.UK One Login. Nothing was changed. Try again, "
                "or sign in with an emailed link."
            )
        )
        return _refused(request, refusal.reason, message)
    current = request.user if request.user.is_authenticated else None
    outcome = identity.resident_sign_in(
        signed_in=signed_in, current_user=current, purpose=pending.purpose if pending else "sign_in"
    )
    if outcome.user is None:
        message = (
            REFUSALS[outcome.result]()
            if outcome.result in REFUSALS
            else _("We could not sign you in with GOV.UK One Login.")
        )
        return _refused(request, outcome.result, message, user=current)
    user = outcome.user
    if outcome.result == "signed_in":
        anonymous_drafts = drafts.session_draft_keys(request)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        drafts.drafts_adopt(keys=anonymous_drafts, user=user)
        # One Login vouched for the address: what was sent with it is theirs, as with a link.
        cases_link_to_citizen(user_id=user.pk, email=user.email, actor=principal_for_user(user))
    request.session[LEVEL] = signed_in.level
    request.session[PROVIDER] = identity.ONE_LOGIN
    request.session[ID_TOKEN] = signed_in.id_token
    if request.session.session_key is None:
        request.session.save()
    identity.signed_in_record(
        provider_key=identity.ONE_LOGIN,
        user=user,
        signed_in=signed_in,
        session_key=request.session.session_key or "",
    )
    next_path = (pending.next_path if pending else "") or reverse("portal:my_requests")
    response = redirect(next_path)
    response.status_code = 303
    return response


def one_login_sign_out(request: HttpRequest) -> HttpResponse | None:
    """Sign out here and, for a One Login session, send the person to end it there too (which
    in turn tells every other service they used). None when the session was not One Login's."""
    if request.session.get(PROVIDER) != identity.ONE_LOGIN or not request.user.is_authenticated:
        return None
    provider = identity.resident_provider() if one_login_offered() else None
    id_token = request.session.get(ID_TOKEN, "")
    identity.signed_out_record(
        provider_key=identity.ONE_LOGIN,
        user=request.user,
        session_key=request.session.session_key or "",
    )
    logout(request)
    if provider is None or not id_token:
        return None
    url = oidc.end_session_url(
        provider,
        id_token=id_token,
        post_logout_redirect_uri=(request.build_absolute_uri(reverse("portal:signed_out"))),
    )
    return redirect(url) if url else None


def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "signin/signed_out.html")


def _session_end(session_key: str) -> None:
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore(session_key).delete()


@csrf_exempt  # the provider posts here server to server; the logout token is the proof
@require_POST
def back_channel_logout(request: HttpRequest) -> HttpResponse:
    """OpenID Connect Back-Channel Logout: a provider says a session ended there."""
    token = request.POST.get("logout_token", "")
    if not token or len(token) > 20_000:
        return JsonResponse(
            {"error": "invalid_request", "error_description": "logout_token is required"},
            status=400,
        )
    provider = identity.provider_for_token(token)
    if provider is None:
        return JsonResponse(
            {"error": "invalid_request", "error_description": "unknown issuer or audience"},
            status=400,
        )
    try:
        claims = oidc.logout_token_verify(provider, token)
    except oidc.SignInRefused as refusal:
        identity.refusal_record(provider_key=provider.key, reason=f"logout_{refusal.reason}")
        return JsonResponse(
            {"error": "invalid_request", "error_description": refusal.reason}, status=400
        )
    identity.backchannel_logout(provider=provider, claims=claims, session_end=_session_end)
    response = HttpResponse(status=200)
    response["Cache-Control"] = "no-store"
    return response


def identity_gate(request: HttpRequest, document: dict, next_path: str) -> HttpResponse | None:
    """None when this session reached the level of confidence the service's template needs;
    otherwise a page sending the person to sign in at that level (and back to `next_path`)."""
    required = document.get("identity", levels.NONE)
    if levels.level_at_least(session_level(request), required):
        return None
    return render(
        request,
        "signin/identity_needed.html",
        {
            "service_name": document.get("name", ""),
            "p2": required == levels.P2,
            "one_login": one_login_label(),
            "start_url": f"{reverse('portal:one_login_start')}?"
            f"{urlencode({'level': required, 'next': safe_next(next_path)})}",
            "sign_in_url": (
                f"{reverse('portal:sign_in')}?{urlencode({'next': safe_next(next_path)})}"
            ),
        },
        status=403,
    )
