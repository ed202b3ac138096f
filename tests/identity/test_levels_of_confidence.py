"""A service can require a level of confidence; a resident below it signs in at that level
before starting, and the level reached is recorded on the case."""

from __future__ import annotations

import copy
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import case_create
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.core.errors import PermissionDenied

START = "/apply/testshire/school_transport/"


@pytest.fixture
def p2_service(council):
    document = copy.deepcopy(factories.APPLICATION_TEMPLATE)
    document["identity"] = "P2"
    document["fields"] = document["fields"][:1]
    template_publish(council=council, document=document, actor=Actor.system("tests"))
    return council


def _follow_to_case(client):
    response = client.post(START)
    assert response.status_code == 303, response.content[:300]
    url = client.get(response["Location"])["Location"]
    url = client.post(url, {"answer": "Sam", "action": "continue"})["Location"]
    url = client.post(url, {"action": "continue"})["Location"]  # no documents
    check = client.post(url, {"email": "rhian.jones@example.com"})["Location"]
    done = client.post(check)
    assert done.status_code == 303, done.content[:300]
    return Case.objects.get(reference=done["Location"].rsplit("/", 1)[1])


@pytest.mark.django_db
def test_a_p2_service_sends_the_resident_to_prove_their_identity_first(
    client, one_login, p2_service
):
    page = client.get(START)
    assert page.status_code == 403
    assert "Prove your identity to continue" in page.content.decode()
    assert client.post(START).status_code == 403  # no draft starts either

    started = client.get("/sign-in/one-login", {"level": "P2", "next": START})
    back = urlsplit(one_login.sign_in(started["Location"], "resident-p2"))
    response = client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert response["Location"] == START
    assert client.get(START).status_code == 200
    case = _follow_to_case(client)
    assert case.identity_level == "P2"


@pytest.mark.django_db
def test_a_session_signed_in_by_email_link_is_not_enough_for_p2(client, p2_service):
    from townsquare.accounts.models import User

    client.force_login(User.objects.create_user("sam@example.com", None))
    assert client.get(START).status_code == 403


@pytest.mark.django_db
def test_other_channels_cannot_bypass_the_level(p2_service):
    with pytest.raises(PermissionDenied) as refused:
        case_create(
            service_code="school_transport",
            council=p2_service,
            actor=Principal.anonymous(),
            values={"child_name": "Sam"},
        )
    assert refused.value.code == "identity_required"


@pytest.mark.django_db
def test_services_without_a_level_record_none_for_anonymous_applicants(council):
    case = case_create(
        service_code="school_transport",
        council=council,
        actor=Principal.anonymous(),
        values={"child_name": "Sam", "sen": "no"},
    )
    assert case.identity_level == "none"
