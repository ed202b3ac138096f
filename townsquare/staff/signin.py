"""Staff sign-in pages: password, then the authenticator code (or a recovery code); first-time
set-up of the authenticator with a QR code; sign-out; the council switcher.

Between the two steps the session holds only the pending user's id and when the password was
accepted; the person is signed in (django.contrib.auth.login) only after the second factor.
"""

from __future__ import annotations

import datetime as dt
import logging

import segno
from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.accounts import identity
from townsquare.accounts import signin as accounts_signin
from townsquare.accounts.models import User
from townsquare.accounts.selectors import active_user_by_id
from townsquare.core import clock
from townsquare.core.errors import InvalidInput
from townsquare.core.links import public_link
from townsquare.core.ratelimit import client_address
from townsquare.messaging.services import MessageNotQueued, transactional_message_send
from townsquare.staff import access

log = logging.getLogger(__name__)

PENDING_USER = "staff.pending_user_id"
PENDING_AT = "staff.pending_at"
PENDING_NEXT = "staff.pending_next"
# Which identity provider the session was begun through (its sign-out is audited as one).
PROVIDER = "staff.identity.provider"
NEW_RECOVERY_CODES = "staff.new_recovery_codes"
# The password step is good for this long; then start again.
PENDING_FOR = dt.timedelta(minutes=5)
# A browser that has signed in before (ADR 143); sent only to the sign-in pages.
DEVICE_COOKIE = "staff_device"
WRONG_PASSWORD = "Enter a correct email address and password"  # noqa: S105
WRONG_CODE = (
    "The code is not right. Enter the 6-digit code your authenticator app shows now, "
    "or one of your recovery codes"
)


def _client(request: HttpRequest) -> str:
    return client_address(request)


def _device(request: HttpRequest) -> str:
    return request.COOKIES.get(DEVICE_COOKIE, "")


def _wait_message(seconds: int) -> str:
    return (
        f"Too many wrong attempts for this email address. For your security, try again in "
        f"{seconds} second{'s' if seconds != 1 else ''}."
    )


def _refused(request: HttpRequest, result: accounts_signin.SignInResult) -> str:
    """The words for a refused attempt; queues the warning email when one is due (ADR 143)."""
    if result.warn is not None:
        _warn_by_email(result.warn, failures=result.failures, client=_client(request))
    return _wait_message(result.retry_after) if result.retry_after else ""


def _warn_by_email(user: User, *, failures: int, client: str) -> None:
    try:
        transactional_message_send(
            kind="staff_sign_in_failures",
            to=user.email,
            link=public_link("staff:sign_in"),
            language="en",
            values={"failures": str(failures), "address": client},
        )
    except MessageNotQueued:
        # The refusal stands without the warning; the event log has every refused attempt.
        log.warning("Could not queue a sign-in warning for user %s", user.pk)


def _refusal(response: HttpResponse, result: accounts_signin.SignInResult) -> HttpResponse:
    if result.retry_after:
        response.status_code = 429
        response["Retry-After"] = str(result.retry_after)
    return response


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER)
    started = request.session.get(PENDING_AT)
    if not user_id or not started:
        return None
    if clock.now() - dt.datetime.fromisoformat(started) > PENDING_FOR:
        for key in (PENDING_USER, PENDING_AT):
            request.session.pop(key, None)
        return None
    return active_user_by_id(user_id=user_id)


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    expired = request.session.pop(access.EXPIRED_NOTICE, False)
    if request.method == "GET":
        if access.staff_context(request) is not None:
            return redirect(access.safe_next(request, request.GET.get("next")))
        return render(
            request,
            "staff/sign_in.html",
            {"next": request.GET.get("next", ""), "expired": expired, "errors": {}},
        )
    email = request.POST.get("email", "").strip()[:254]
    password = request.POST.get("password", "")[:1000]
    next_url = request.POST.get("next", "")[:1000]
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105
    if not errors:
        result = accounts_signin.staff_password_check(
            email=email, password=password, client=_client(request), device_token=_device(request)
        )
        if result.user is not None:
            request.session.cycle_key()
            request.session[PENDING_USER] = result.user.pk
            request.session[PENDING_AT] = clock.now().isoformat()
            request.session[PENDING_NEXT] = next_url
            if accounts_signin.second_factor_of(result.user) is None:
                return redirect("staff:set_up_authenticator")
            return redirect("staff:sign_in_code")
        errors["email"] = _refused(request, result) or WRONG_PASSWORD
        return _refusal(
            render(
                request,
                "staff/sign_in.html",
                {"next": next_url, "email": email, "errors": errors},
                status=400,
            ),
            result,
        )
    return render(
        request,
        "staff/sign_in.html",
        {"next": next_url, "email": email, "errors": errors},
        status=400,
    )


def _complete(request: HttpRequest, user: User) -> HttpResponse:
    next_url = request.session.get(PENDING_NEXT, "")
    before = request.session.session_key or ""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    access.session_start(request)
    if request.session.get(PROVIDER):
        # Signed in at the council's provider, then the code here: the provider's logout must
        # find the session under its new key.
        identity.provider_session_rekey(before, request.session.session_key or "")
    response = redirect(access.safe_next(request, next_url))
    # This browser has now signed in as `user`: its later wrong attempts are its own, so a
    # stranger's cannot slow it down (ADR 143).
    response.set_cookie(
        DEVICE_COOKIE,
        accounts_signin.device_token_make(user=user),
        max_age=accounts_signin.DEVICE_MAX_AGE,
        path=reverse("staff:sign_in"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("staff:sign_in")
    if accounts_signin.second_factor_of(user) is None:
        return redirect("staff:set_up_authenticator")
    if request.method == "GET":
        return render(request, "staff/sign_in_code.html", {"errors": {}})
    code = request.POST.get("code", "")[:40]
    if not code.strip():
        error = "Enter the code from your authenticator app"
        return render(request, "staff/sign_in_code.html", {"errors": {"code": error}}, status=400)
    result = accounts_signin.second_factor_verify(
        user=user, code=code, client=_client(request), device_token=_device(request)
    )
    if result.user is not None:
        response = _complete(request, user)
        if result.method == "recovery_code":
            remaining = accounts_signin.recovery_codes_remaining(user=user)
            request.session["staff.recovery_notice"] = remaining
        return response
    error = _refused(request, result) or WRONG_CODE
    return _refusal(
        render(request, "staff/sign_in_code.html", {"errors": {"code": error}}, status=400),
        result,
    )


def _qr_svg(uri: str) -> str:
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=False)
    # Decorative for screen readers: the same secret is given in text beside it.
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def set_up_authenticator(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("staff:sign_in")
    if accounts_signin.second_factor_of(user) is not None:
        return redirect("staff:sign_in_code")
    factor = accounts_signin.totp_enrolment_start(user=user)
    secret = factor.totp_secret
    context = {
        "qr_svg": _qr_svg(accounts_signin.totp_uri(user, secret)),
        "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "errors": {},
    }
    if request.method == "GET":
        return render(request, "staff/set_up_authenticator.html", context)
    try:
        codes = accounts_signin.totp_enrolment_confirm(
            user=user, code=request.POST.get("code", "")[:40]
        )
    except InvalidInput as exc:
        context["errors"] = {"code": exc.errors.get("code", [exc.message])[0]}
        return render(request, "staff/set_up_authenticator.html", context, status=400)
    _complete(request, user)
    request.session[NEW_RECOVERY_CODES] = codes
    return redirect("staff:recovery_codes")


@never_cache
@access.staff_view()
@require_http_methods(["GET", "HEAD", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Shows newly issued codes once; POST issues a new set (the old ones stop working)."""
    if request.method == "POST":
        request.session[NEW_RECOVERY_CODES] = accounts_signin.recovery_codes_regenerate(
            user=request.staff.user
        )
        return redirect("staff:recovery_codes")
    codes = request.session.pop(NEW_RECOVERY_CODES, None)
    return access.staff_render(
        request,
        "staff/recovery_codes.html",
        {
            "codes": codes,
            "remaining": accounts_signin.recovery_codes_remaining(user=request.staff.user),
        },
    )


@require_POST
@csrf_protect
def sign_out(request: HttpRequest) -> HttpResponse:
    provider_key = request.session.get(PROVIDER)
    if provider_key and request.user.is_authenticated:
        identity.signed_out_record(
            provider_key=provider_key,
            user=request.user,
            session_key=request.session.session_key or "",
        )
    logout(request)
    return redirect(f"{reverse('staff:sign_in')}?signed_out=1")


@require_POST
@access.staff_view()
def switch_council(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("council", "")
    council = next((c for c in request.staff.councils if str(c.id) == wanted), None)
    if council is not None:
        request.session[access.COUNCIL] = council.id
    return redirect(access.safe_next(request, request.POST.get("next")))
