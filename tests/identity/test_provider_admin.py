"""A council's admin sets up the council's staff identity provider on the staff admin page,
against the real local provider: a key pair made here, or a client secret kept sealed; groups
to roles; checked by fetching the issuer's discovery document; audited; only the council's own
admins may."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests import factories
from tests.identity_provider import free_port
from townsquare.accounts.models import IdentityProvider, Membership, User
from townsquare.core.models import Event
from townsquare.core.sealed import unseal
from townsquare.demo import identity as demo_identity
from townsquare.staff.tests.conftest import sign_in

PAGE = "/staff/admin/sign-in"


@pytest.fixture(autouse=True)
def _loopback_providers_allowed(settings):
    # The test's provider runs on this machine, as the demo's does.
    settings.OIDC_ALLOW_LOOPBACK_ISSUERS = True


def _staff(council, role: str) -> Client:
    user, _ = factories.make_staff_signed_in(council, role)
    client = Client()
    sign_in(client, user.email)
    return client


def _form(provider, **overrides) -> dict[str, str]:
    return {
        "op": "save",
        "label": "Testshire staff account",
        "issuer": provider.issuer,
        "client_id": demo_identity.STAFF_CLIENT_ID,
        "client_auth": "private_key_jwt",
        "client_secret": "",
        "scopes": "openid email profile groups",
        "groups_claim": "groups",
        "groups_agent": "townsquare-agents",
        "groups_supervisor": "townsquare-supervisors\nsomething-else",
        "groups_council_admin": "",
        "totp_required": "no",
        "enabled": "yes",
        **overrides,
    }


def _public_jwk(page: str) -> dict:
    found = re.search(r'<pre[^>]*id="public-jwk"[^>]*>(.*?)</pre>', page, re.DOTALL)
    assert found, page[:2000]
    return json.loads(unescape(found.group(1)))


@pytest.mark.django_db
def test_an_admin_makes_a_key_pair_saves_the_provider_and_an_officer_signs_in_with_it(
    council, identity_provider
):
    admin = _staff(council, "council_admin")
    page = admin.get(PAGE)
    assert page.status_code == 200
    assert "No key pair yet" in page.content.decode()
    assert "http://testserver/staff/sign-in/provider/return" in page.content.decode()

    assert admin.post(PAGE, {"op": "key"}).status_code == 302
    public = _public_jwk(admin.get(PAGE).content.decode())
    assert public["kty"] == "EC" and "d" not in public
    row = IdentityProvider.objects.get(council=council)
    assert not row.enabled  # a key alone offers no sign-in yet
    assert public["x"] not in row.private_key_sealed  # sealed, not stored as given
    assert Event.objects.filter(kind="identity.provider_key_made", council_id=council.id).exists()

    # The council registers the public key with its provider (here: the test's provider holds
    # the key the staff client was registered with, so the test swaps that one in).
    from townsquare.accounts.identity import identity_provider_set

    response = admin.post(PAGE, _form(identity_provider))
    assert response.status_code == 302, response.content.decode()[:3000]
    row.refresh_from_db()
    assert row.enabled and row.group_roles == {
        "townsquare-agents": "agent",
        "townsquare-supervisors": "supervisor",
        "something-else": "supervisor",
    }
    event = Event.objects.filter(kind="identity.provider_set").order_by("-id").first()
    assert event.council_id == council.id and event.actor_kind == "staff"
    assert event.payload["key_id"] == public["kid"]
    assert public["x"] not in json.dumps(event.payload)  # names the key, holds none of it
    identity_provider_set(
        council_id=council.id,
        label=row.label,
        issuer=row.issuer,
        client_id=row.client_id,
        private_key_jwk=identity_provider.staff_key,
        group_roles=row.group_roles,
        groups_claim=row.groups_claim,
        scopes=row.scopes,
    )

    officer = Client()
    started = officer.get(f"/staff/sign-in/provider/{council.id}")
    back = urlsplit(identity_provider.sign_in(started["Location"], "bristol-officer"))
    done = officer.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert done.status_code == 302 and done["Location"].startswith("/staff/")
    user = User.objects.get(email="ola.officer@bristol.example")
    assert Membership.objects.get(user=user, council=council).role == "agent"


@pytest.mark.django_db
def test_a_client_secret_is_kept_sealed_and_never_shown_again(council, identity_provider):
    admin = _staff(council, "council_admin")
    secret = "a-client-secret-from-the-provider-0123456789"
    response = admin.post(
        PAGE, _form(identity_provider, client_auth="client_secret_post", client_secret=secret)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    row = IdentityProvider.objects.get(council=council)
    assert secret not in row.client_secret_sealed and unseal(row.client_secret_sealed) == secret
    page = admin.get(PAGE).content.decode()
    assert secret not in page and "A secret is stored" in page
    event = Event.objects.filter(kind="identity.provider_set").get()
    assert secret not in json.dumps(event.payload) and event.payload["secret_changed"] is True

    # Saving again without typing the secret keeps it.
    assert (
        admin.post(PAGE, _form(identity_provider, client_auth="client_secret_post")).status_code
        == 302
    )
    row.refresh_from_db()
    assert unseal(row.client_secret_sealed) == secret


@pytest.mark.django_db
def test_an_issuer_that_does_not_answer_is_a_clear_error_and_nothing_is_saved(
    council, identity_provider
):
    admin = _staff(council, "council_admin")
    admin.post(PAGE, {"op": "key"})
    nowhere = f"http://127.0.0.1:{free_port()}"
    response = admin.post(PAGE, _form(identity_provider, issuer=nowhere))
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "There is a problem" in page
    assert f"Nothing answered at {nowhere}/.well-known/openid-configuration" in page
    assert 'href="#provider_issuer"' in page
    assert not IdentityProvider.objects.filter(council=council, enabled=True).exists()
    assert not Event.objects.filter(kind="identity.provider_set").exists()


@pytest.mark.django_db
def test_an_issuer_whose_document_names_another_issuer_is_refused(council, identity_provider):
    admin = _staff(council, "council_admin")
    admin.post(PAGE, {"op": "key"})
    elsewhere = identity_provider.issuer.replace("127.0.0.1", "localhost")
    response = admin.post(PAGE, _form(identity_provider, issuer=elsewhere))
    assert response.status_code == 400
    assert f"calls itself '{identity_provider.issuer}'" in unescape(response.content.decode())


@pytest.mark.django_db
def test_the_saved_settings_can_be_checked_again(council, identity_provider):
    admin = _staff(council, "council_admin")
    admin.post(PAGE, {"op": "key"})
    assert admin.post(PAGE, _form(identity_provider)).status_code == 302
    checked = admin.post(PAGE, {"op": "check"}, follow=True)
    assert f"The provider answered as {identity_provider.issuer}" in checked.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"issuer": "http://idp.example.com"}, "provider_issuer", "starting https://"),
        ({"client_id": ""}, "provider_client_id", "Enter the client id"),
        ({"scopes": "email"}, "provider_scopes", "including openid"),
        ({"groups_agent": "", "groups_supervisor": ""}, "provider_groups_agent", "at least one"),
        (
            {"groups_council_admin": "townsquare-agents"},
            "provider_groups_council_admin",
            "two roles",
        ),
        (
            {"client_auth": "client_secret_post"},
            "provider_client_secret",
            "Enter the client secret",
        ),
        ({"client_auth": "private_key_jwt"}, "provider_client_auth", "Make a key pair first"),
    ],
)
def test_wrong_settings_say_what_is_wrong(council, identity_provider, change, field, words):
    admin = _staff(council, "council_admin")
    response = admin.post(PAGE, _form(identity_provider, **change))
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert f'href="#{field}"' in page and words in page, page[:4000]
    assert not IdentityProvider.objects.exists()


@pytest.mark.django_db
def test_only_the_councils_own_admins_may(council, other_council, identity_provider):
    from tests.identity_provider import council_provider_set

    council_provider_set(council, identity_provider)
    before = IdentityProvider.objects.get(council=council).updated_at
    for role in ("agent", "supervisor"):
        staff = _staff(council, role)
        assert staff.get(PAGE).status_code == 403
        assert staff.post(PAGE, _form(identity_provider, label="Hijacked")).status_code == 403
        assert staff.post(PAGE, {"op": "key"}).status_code == 403
    assert Client().get(PAGE)["Location"].startswith("/staff/sign-in")

    # Another council's admin only ever works on their own council's settings.
    stranger = _staff(other_council, "council_admin")
    page = stranger.get(PAGE).content.decode()
    assert "Testshire staff account" not in page and identity_provider.issuer not in page
    stranger.post(PAGE, {"op": "key"})
    assert IdentityProvider.objects.get(council=council).updated_at == before
    assert IdentityProvider.objects.get(council=other_council).enabled is False


@pytest.mark.django_db
def test_the_demo_keeps_what_bristols_admin_set_and_registers_their_key(tmp_path):
    from townsquare.accounts.identity import private_key_of

    bristol = factories.make_council("bristol", prefix="BRS")
    issuer = "http://127.0.0.1:9010"
    first = demo_identity.demo_identity_ensure(
        var_dir=tmp_path, public_url="http://127.0.0.1:8000", issuer=issuer
    )
    row = IdentityProvider.objects.get(council=bristol)
    assert row.enabled and row.group_roles == demo_identity.DEMO_GROUP_ROLES
    staff_client = next(c for c in first["clients"] if c["client_id"] == row.client_id)
    assert staff_client["jwks"]["keys"][0]["kid"] == "bristol-staff-1"

    # Bristol's admin makes a new key pair and changes the groups; the demo starts again.
    admin = _staff(bristol, "council_admin")
    admin.post(PAGE, {"op": "key"})
    row.refresh_from_db()
    row.group_roles = {"townsquare-agents": "supervisor"}
    row.save()
    again = demo_identity.demo_identity_ensure(
        var_dir=tmp_path, public_url="http://127.0.0.1:8000", issuer=issuer
    )
    row.refresh_from_db()
    assert row.group_roles == {"townsquare-agents": "supervisor"}
    staff_client = next(c for c in again["clients"] if c["client_id"] == row.client_id)
    registered = staff_client["jwks"]["keys"][0]
    assert registered["kid"] == private_key_of(row)["kid"] and "d" not in registered


@pytest.mark.django_db
def test_outside_the_demo_a_provider_on_this_machine_is_refused(
    council, identity_provider, settings
):
    settings.OIDC_ALLOW_LOOPBACK_ISSUERS = False
    admin = _staff(council, "council_admin")
    admin.post(PAGE, {"op": "key"})
    for issuer in (identity_provider.issuer, "http://localhost:9010", "https://127.0.0.2:9010"):
        response = admin.post(PAGE, _form(identity_provider, issuer=issuer))
        assert response.status_code == 400
        assert "this server's own addresses are not allowed" in unescape(response.content.decode())
    assert not IdentityProvider.objects.filter(enabled=True).exists()
