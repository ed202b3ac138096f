"""Staff signing in with their council's own identity provider (Entra ID, Google Workspace,
Okta...): no Townsquare password. The council's admin chooses whether a Townsquare TOTP code is
still asked for; the provider's groups decide the role at every sign-in (accounts.identity).
"""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from townsquare.accounts import identity, oidc
from townsquare.accounts import signin as accounts_signin
from townsquare.core import clock
from townsquare.staff import access
from townsquare.staff.signin import PENDING_AT, PENDING_NEXT, PENDING_USER, PROVIDER

PENDING = "staff.oidc.pending"

REFUSALS = {
    "no_role": "Your account at your council's sign-in service is not in a group that may use "
    "the staff workspace. If you need access, ask your council's administrator.",
    "other_council_account": "This account works for more than one council or runs the "
    "platform: sign in with your email address, password and "
    "authenticator instead.",
    "email_not_verified": "Your council's sign-in service did not confirm your email address.",
    "account_unavailable": "This account is switched off. Ask your council's administrator.",
    "provider_not_configured": "Your council has not set up a sign-in service.",
}


def _refused(
    request: HttpRequest,
    provider_key: str,
    reason: str,
    message: str,
    *,
    council_id: int | None = None,
    user=None,
    status: int = 400,
) -> HttpResponse:
    identity.refusal_record(
        provider_key=provider_key, reason=reason, council_id=council_id, user=user
    )
    return render(
        request, "staff/sign_in_refused.html", {"message": message, "reason": reason}, status=status
    )


@never_cache
@require_safe
def provider_start(request: HttpRequest, council_id: int) -> HttpResponse:
    provider = identity.council_provider(council_id)
    if provider is None:
        return render(
            request,
            "staff/sign_in_refused.html",
            {"message": REFUSALS["provider_not_configured"]},
            status=404,
        )
    try:
        url, pending = oidc.authorization_start(
            provider,
            redirect_uri=request.build_absolute_uri(reverse("staff:provider_return")),
            next_path=request.GET.get("next", "")[:300],
        )
    except oidc.SignInRefused:
        return _refused(
            request,
            provider.key,
            "provider_unreachable",
            "Your council's sign-in service is not answering. Try again later, or "
            "sign in with your email address and password.",
            council_id=council_id,
            status=503,
        )
    request.session[PENDING] = pending.as_dict()
    return redirect(url)


@never_cache
@require_safe
def provider_return(request: HttpRequest) -> HttpResponse:
    raw = request.session.pop(PENDING, None)
    pending = oidc.Pending.from_dict(raw) if isinstance(raw, dict) else None
    provider = identity.provider_by_key(pending.provider_key) if pending else None
    if pending is None or provider is None:
        return _refused(
            request,
            "staff",
            "no_pending_sign_in",
            "The sign-in was not started here, or was finished already. Start again.",
        )
    council_id = int(provider.key.removeprefix("council-"))
    params = {k: request.GET.get(k, "")[:2000] for k in ("code", "state", "error", "iss")}
    try:
        signed_in = oidc.authorization_complete(provider, pending, params)
    except oidc.SignInRefused as refusal:
        return _refused(
            request,
            provider.key,
            refusal.reason,
            f"We could not sign you in with your council's account. {refusal.message}",
            council_id=council_id,
        )
    outcome = identity.staff_sign_in(council_id=council_id, signed_in=signed_in)
    if outcome.user is None or outcome.result not in ("signed_in", "totp_required"):
        return _refused(
            request,
            provider.key,
            outcome.result,
            REFUSALS.get(outcome.result, "We could not sign you in."),
            council_id=council_id,
            user=outcome.user,
        )
    user = outcome.user
    if outcome.result == "totp_required":
        # The council still wants its own second factor: continue at the code step, exactly
        # as after a password.
        request.session.cycle_key()
        request.session[PENDING_USER] = user.pk
        request.session[PENDING_AT] = clock.now().isoformat()
        request.session[PENDING_NEXT] = pending.next_path
        request.session[PROVIDER] = provider.key
        if request.session.session_key is None:
            request.session.save()
        identity.signed_in_record(
            provider_key=provider.key,
            user=user,
            signed_in=signed_in,
            session_key=request.session.session_key or "",
            council_id=council_id,
        )
        if accounts_signin.second_factor_of(user) is None:
            return redirect("staff:set_up_authenticator")
        return redirect("staff:sign_in_code")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    access.session_start(request)
    request.session[access.COUNCIL] = council_id
    request.session[PROVIDER] = provider.key
    if request.session.session_key is None:
        request.session.save()
    identity.signed_in_record(
        provider_key=provider.key,
        user=user,
        signed_in=signed_in,
        session_key=request.session.session_key or "",
        council_id=council_id,
    )
    return redirect(access.safe_next(request, pending.next_path))
