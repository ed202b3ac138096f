"""Council administration: teams, staff and roles, staff sign-in (the council's identity
provider), API keys, branding, boundary and areas."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from townsquare.accounts import identity_settings, policies
from townsquare.accounts.models import ApiKey, IdentityProvider, KeyType, Role, Scope
from townsquare.accounts.selectors import api_key_of_council, api_keys_of_council
from townsquare.accounts.services import api_key_create, api_key_revoke, api_key_rotate
from townsquare.accounts.staffing import (
    staff_member_add,
    staff_member_change,
    staff_member_remove,
    staff_member_reset_authenticator,
    staff_of_council,
)
from townsquare.core import clock
from townsquare.core.errors import DomainError, InvalidInput
from townsquare.core.links import public_link
from townsquare.core.numbers import whole_number
from townsquare.councils.administration import (
    MAX_AREAS,
    areas_import,
    boundary_set,
    branding_set,
    team_save,
)
from townsquare.councils.public_pages import (
    COMPLIANCE,
    FIELDS,
    PHASES,
    public_pages_of,
    public_pages_set,
)
from townsquare.councils.selectors import (
    areas_of_council,
    council_get_by_id,
    teams_of_council,
)
from townsquare.staff.access import staff_render, staff_view
from townsquare.staff.maps import areas_map

SECTIONS = (
    ("teams", "Teams"),
    ("staff", "Staff and roles"),
    ("signin", "Staff sign-in"),
    ("keys", "API keys"),
    ("branding", "Branding"),
    ("areas", "Boundary and areas"),
    ("public", "Public pages"),
    ("payments", "Payments"),
)
MAX_GEOJSON = 5 * 1024 * 1024
NOTICE = "staff.admin_notice"


def _admin(view):
    return staff_view(policies.can_administer_council)(view)


def _render(
    request: HttpRequest, section: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    council = council_get_by_id(council_id=request.staff.council.id)
    base = {
        "section": section,
        "sections": SECTIONS,
        "council": council,
        "notice": request.session.pop(NOTICE, None),
        "errors": {},
        "posted": {},
    }
    base.update(context)
    return staff_render(request, f"staff/admin/{section}.html", base, status=status)


def _done(request: HttpRequest, section: str, notice: Any) -> HttpResponse:
    request.session[NOTICE] = notice
    return redirect(f"staff:admin_{section}")


def _errors(exc: DomainError, prefix: str) -> dict[str, list[str]]:
    """Messages by form control id ("<form>_<field>"), each a list (area files can have many
    problems, one per feature)."""
    if isinstance(exc, InvalidInput):
        return {
            f"{prefix}_{k}" if k != "__all__" else f"{prefix}_main": v
            for k, v in exc.errors.items()
        }
    return {f"{prefix}_main": [exc.message]}


@require_safe
@_admin
def home(request: HttpRequest) -> HttpResponse:
    return redirect("staff:admin_teams")


@require_http_methods(["GET", "HEAD", "POST"])
@_admin
def teams(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    context: dict[str, Any] = {}
    if request.method == "POST":
        try:
            team = team_save(
                council=staff.council,
                code=request.POST.get("code", ""),
                name=request.POST.get("name", ""),
                actor=staff.principal,
            )
            return _done(request, "teams", f"Team {team.name} saved")
        except DomainError as exc:
            context = {"errors": _errors(exc, "team"), "posted": request.POST.dict()}
    context["teams"] = teams_of_council(council_id=staff.council.id)
    return _render(request, "teams", context, status=400 if context.get("errors") else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@_admin
def staff_members(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    context: dict[str, Any] = {}
    if request.method == "POST":
        op = request.POST.get("op", "")
        user_id = request.POST.get("user", "")
        user_id = whole_number(user_id) or 0
        team = request.POST.get("team", "")
        team_id = whole_number(team)
        try:
            if op == "add":
                user, password = staff_member_add(
                    council_id=staff.council.id,
                    email=request.POST.get("email", ""),
                    full_name=request.POST.get("full_name", ""),
                    role=request.POST.get("role", ""),
                    team_id=team_id,
                    actor=staff.principal,
                )
                return _done(
                    request,
                    "staff",
                    {
                        "text": f"{user.email} can now sign in to {staff.council.name}.",
                        "password": password,
                    },
                )
            if op == "change":
                staff_member_change(
                    council_id=staff.council.id,
                    user_id=user_id,
                    role=request.POST.get("role", ""),
                    team_id=team_id,
                    actor=staff.principal,
                )
                return _done(request, "staff", "Role saved")
            if op == "remove":
                staff_member_remove(
                    council_id=staff.council.id, user_id=user_id, actor=staff.principal
                )
                return _done(request, "staff", "Removed from the council")
            if op == "reset":
                staff_member_reset_authenticator(
                    council_id=staff.council.id, user_id=user_id, actor=staff.principal
                )
                return _done(
                    request,
                    "staff",
                    "Authenticator removed: they will set up a new one when they next sign in",
                )
            raise InvalidInput("Unknown action")
        except DomainError as exc:
            context = {"errors": _errors(exc, op or "add"), "posted": request.POST.dict()}
    context.update(
        {
            "members": staff_of_council(actor=staff.principal, council_id=staff.council.id),
            "roles": Role.choices,
            "teams": teams_of_council(council_id=staff.council.id),
        }
    )
    return _render(request, "staff", context, status=400 if context.get("errors") else 200)


# What the create form offers for a key's lifetime: days, or "" for until revoked.
KEY_LIFETIMES = (("90", "90 days"), ("365", "1 year"), ("", "Until revoked"))


def _key_expiry(posted: str) -> dt.datetime | None:
    if posted == "":
        return None
    days = whole_number(posted)
    if days is None or posted not in dict(KEY_LIFETIMES):
        raise InvalidInput({"expiry": ["Choose how long the key works"]})
    return clock.now() + dt.timedelta(days=days)


def _key_of_council(request: HttpRequest) -> ApiKey:
    key = api_key_of_council(
        council_id=request.staff.council.id, key_id=whole_number(request.POST.get("key", ""))
    )
    if key is None:
        raise InvalidInput("No such key")
    return key


@require_http_methods(["GET", "HEAD", "POST"])
@_admin
def api_keys(request: HttpRequest) -> HttpResponse:
    """Create, rotate and revoke the council's API keys (ADR 120). A new key is shown once,
    in the notice after the redirect; only its hash is kept."""
    staff = request.staff
    actor = staff.principal.as_actor()
    context: dict[str, Any] = {}
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "create":
                key, raw = api_key_create(
                    council_id=staff.council.id,
                    name=request.POST.get("name", ""),
                    actor=actor,
                    key_type=request.POST.get("key_type", ""),
                    scopes=request.POST.getlist("scopes"),
                    expires_at=_key_expiry(request.POST.get("expiry", "")),
                )
                return _done(request, "keys", {"text": f"Key for {key.name} created.", "key": raw})
            if op == "rotate":
                key, raw = api_key_rotate(key=_key_of_council(request), actor=actor)
                return _done(
                    request,
                    "keys",
                    {
                        "text": f"New key for {key.name} created. The old key works for "
                        "24 hours more.",
                        "key": raw,
                    },
                )
            if op == "revoke":
                key = _key_of_council(request)
                api_key_revoke(key=key, actor=actor)
                return _done(request, "keys", f"Key for {key.name} revoked")
            raise InvalidInput("Unknown action")
        except DomainError as exc:
            context = {
                "errors": _errors(exc, "key"),
                "posted": request.POST.dict(),
                "posted_scopes": request.POST.getlist("scopes"),
            }
    context.update(
        keys=api_keys_of_council(council_id=staff.council.id),
        key_types=KeyType.choices,
        scopes=Scope.choices,
        lifetimes=KEY_LIFETIMES,
        now=clock.now(),
    )
    if "posted" not in context:
        context["posted"] = {"key_type": KeyType.LIVE, "expiry": "365"}
        context["posted_scopes"] = [Scope.READ_PUBLIC]
    return _render(request, "keys", context, status=400 if context.get("errors") else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@_admin
def branding(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    context: dict[str, Any] = {}
    if request.method == "POST":
        try:
            branding_set(
                council=staff.council,
                colour=request.POST.get("colour", ""),
                website=request.POST.get("website", ""),
                actor=staff.principal,
            )
            return _done(request, "branding", "Branding saved")
        except DomainError as exc:
            context = {"errors": _errors(exc, "branding"), "posted": request.POST.dict()}
    branding = staff.council.branding or {}
    posted = context.get("posted", {})
    context["form_colour"] = posted.get("colour", branding.get("colour", ""))
    context["form_website"] = posted.get("website", branding.get("website", ""))
    return _render(request, "branding", context, status=400 if context.get("errors") else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@_admin
def public_pages(request: HttpRequest) -> HttpResponse:
    """Contacts, the accessibility statement's facts, the data protection officer and the
    phase banner, as residents see them on the council's public pages."""
    staff = request.staff
    context: dict[str, Any] = {}
    if request.method == "POST":
        try:
            public_pages_set(
                council=staff.council,
                values={key: request.POST.get(key, "") for key in FIELDS},
                actor=staff.principal,
            )
            return _done(request, "public", "Public pages saved")
        except DomainError as exc:
            context = {"errors": _errors(exc, "public"), "posted": request.POST.dict()}
    saved = public_pages_of(council_get_by_id(council_id=staff.council.id))
    posted = context.get("posted", {})
    context["form"] = {key: posted.get(key, getattr(saved, key)) for key in FIELDS}
    context["phases"] = PHASES
    context["compliance"] = COMPLIANCE
    return _render(request, "public", context, status=400 if context.get("errors") else 200)


def _upload(request: HttpRequest, name: str) -> bytes | None:
    upload = request.FILES.get(name)
    if upload is None:
        return None
    if upload.size > MAX_GEOJSON:
        raise InvalidInput({name: ["The file is larger than 5 MB"]})
    return upload.read()


@require_http_methods(["GET", "HEAD", "POST"])
@_admin
def areas(request: HttpRequest) -> HttpResponse:
    staff = request.staff
    context: dict[str, Any] = {}
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "boundary":
                data = _upload(request, "boundary")
                if data is None:
                    raise InvalidInput({"boundary": ["Choose a GeoJSON file"]})
                boundary_set(council=staff.council, geojson=data, actor=staff.principal)
                return _done(request, "areas", "Boundary saved")
            if op == "areas":
                data = _upload(request, "areas")
                if data is None:
                    raise InvalidInput({"areas": ["Choose a GeoJSON file"]})
                count = areas_import(
                    council=staff.council,
                    geojson=data,
                    actor=staff.principal,
                    code_property=request.POST.get("code_property", "code")[:40] or "code",
                    name_property=request.POST.get("name_property", "name")[:40] or "name",
                )
                return _done(request, "areas", f"{count} area{'s' if count != 1 else ''} saved")
            raise InvalidInput("Unknown action")
        except DomainError as exc:
            context = {"errors": _errors(exc, op or "areas")}
    council = council_get_by_id(council_id=staff.council.id)
    area_rows = areas_of_council(council_id=council.id)
    context.update(
        {
            "areas": area_rows,
            "map": areas_map(
                boundary=council.boundary, areas=[(a.name, a.boundary) for a in area_rows]
            ),
            "max_areas": MAX_AREAS,
        }
    )
    return _render(request, "areas", context, status=400 if context.get("errors") else 200)


def _provider_form(settings: identity_settings.ProviderSettings | None) -> dict[str, Any]:
    """The form's values: what is saved, or a start for a new provider."""
    if settings is None:
        return {
            "label": "",
            "issuer": "",
            "client_id": "",
            "client_auth": IdentityProvider.ClientAuth.PRIVATE_KEY_JWT,
            "scopes": "openid email profile",
            "groups_claim": "groups",
            "totp_required": "no",
            "enabled": "yes",
            **{f"groups_{role}": "" for role in identity_settings.ROLE_ORDER},
        }
    return {
        "label": settings.label,
        "issuer": settings.issuer,
        "client_id": settings.client_id,
        "client_auth": settings.client_auth,
        "scopes": settings.scopes,
        "groups_claim": settings.groups_claim,
        "totp_required": "yes" if settings.totp_required else "no",
        "enabled": "yes" if settings.enabled else "no",
        **{f"groups_{role}": "\n".join(groups) for role, groups in settings.groups_by_role.items()},
    }


@require_http_methods(["GET", "HEAD", "POST"])
@_admin
def sign_in_provider(request: HttpRequest) -> HttpResponse:
    """The council's staff identity provider: its settings, a key pair, a check."""
    staff = request.staff
    council_id = staff.council.id
    context: dict[str, Any] = {}
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "save":
                identity_settings.staff_provider_save(
                    actor=staff.principal,
                    council_id=council_id,
                    label=request.POST.get("label", ""),
                    issuer=request.POST.get("issuer", ""),
                    client_id=request.POST.get("client_id", ""),
                    client_auth=request.POST.get("client_auth", ""),
                    client_secret=request.POST.get("client_secret", ""),
                    scopes=request.POST.get("scopes", ""),
                    groups_claim=request.POST.get("groups_claim", ""),
                    groups_by_role={
                        role: request.POST.get(f"groups_{role}", "")[:20_000]
                        for role in identity_settings.ROLE_ORDER
                    },
                    totp_required=request.POST.get("totp_required") == "yes",
                    enabled=request.POST.get("enabled") == "yes",
                )
                return _done(
                    request,
                    "signin",
                    "Staff sign-in saved: the provider's discovery document answered",
                )
            if op == "key":
                jwk = identity_settings.staff_provider_key_make(
                    actor=staff.principal, council_id=council_id
                )
                return _done(
                    request,
                    "signin",
                    f"New key pair made ({jwk['kid']}). Register its public key with the "
                    "provider before staff next sign in.",
                )
            if op == "check":
                doc = identity_settings.staff_provider_check(
                    actor=staff.principal, council_id=council_id
                )
                return _done(
                    request, "signin", f"The provider answered as {doc['issuer']}: settings work"
                )
            raise InvalidInput("Unknown action")
        except DomainError as exc:
            context = {"errors": _errors(exc, "provider"), "posted": request.POST.dict()}
    saved = identity_settings.staff_provider_settings(actor=staff.principal, council_id=council_id)
    form = _provider_form(saved)
    posted = context.get("posted", {})
    if posted.get("op") == "save":
        form.update({k: posted.get(k, "") for k in form})
    context.update(
        {
            "provider": saved,
            "form": form,
            "public_jwk": json.dumps(saved.public_jwk, indent=2)
            if saved and saved.public_jwk
            else "",
            "client_auths": IdentityProvider.ClientAuth.choices,
            "role_groups": [
                (role, label)
                for role, label in Role.choices
                if role in identity_settings.ROLE_ORDER
            ],
            "redirect_uri": request.build_absolute_uri(reverse("staff:provider_return")),
            "logout_uri": request.build_absolute_uri(reverse("portal:back_channel_logout")),
        }
    )
    return _render(request, "signin", context, status=400 if context.get("errors") else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@_admin
def payments(request: HttpRequest) -> HttpResponse:
    """The council's GOV.UK Pay account: its API key and webhook signing secret are sealed and
    never shown again (only the key's last characters); blank fields keep what is saved."""
    from townsquare.payments.selectors import pay_account_for
    from townsquare.payments.services import pay_account_set

    council = council_get_by_id(council_id=request.staff.council.id)
    context: dict[str, Any] = {}
    if request.method == "POST":
        try:
            pay_account_set(
                council=council,
                actor=request.staff.principal,
                api_key=request.POST.get("api_key", "")[:1000],
                webhook_secret=request.POST.get("webhook_secret", "")[:1000],
                online_enabled=request.POST.get("online_enabled") == "yes",
                offline_enabled=request.POST.get("offline_enabled") == "yes",
            )
        except DomainError as exc:
            context = {"errors": _errors(exc, "pay")}
        else:
            return _done(request, "payments", "Payment settings saved")
    account = pay_account_for(council=council)
    context.update(
        {
            "account": account,
            "webhook_url": public_link("portal:pay_webhook", slug=council.slug),
        }
    )
    return _render(request, "payments", context, status=400 if context.get("errors") else 200)
