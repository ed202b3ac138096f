"""A public Municipedia article linked to a service is that service's help ("Before you
start") on the citizen web, in English and Welsh; a private or staff-only one never is."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from townsquare.wiki.models import Visibility
from townsquare.wiki.services import article_create, council_space_ensure

pytestmark = pytest.mark.django_db


def _article(council, visibility, title, body, **extra):
    _user, principal = factories.make_staff(council, "agent")
    return article_create(
        principal=principal,
        council_id=council.id,
        space=council_space_ensure(council=council),
        title=title,
        body=body,
        visibility=visibility,
        service_codes="pothole",
        **extra,
    )


def test_a_public_article_is_the_services_help_in_english_and_welsh(council):
    _article(
        council,
        Visibility.PUBLIC,
        "Potholes we fix",
        "We fix holes **deeper than 4cm**.",
        title_cy="Tyllau yn y ffordd",
        body_cy="Rydym yn trwsio tyllau **dyfnach na 4cm**.",
    )
    url = f"/report/{council.slug}/pothole/"
    english = Client().get(url).content.decode()
    assert "Before you start" in english
    assert "<strong>deeper than 4cm</strong>" in english
    welsh_client = Client()
    welsh_client.cookies["django_language"] = "cy"
    welsh = welsh_client.get(url).content.decode()
    assert "Cyn i chi ddechrau" in welsh
    assert "<strong>dyfnach na 4cm</strong>" in welsh and "Tyllau yn y ffordd" in welsh


@pytest.mark.parametrize("visibility", [Visibility.STAFF, Visibility.PRIVATE])
def test_an_article_not_public_is_never_shown_to_residents(council, visibility):
    _article(council, visibility, "Internal pothole notes", "Crew rota secrets.")
    page = Client().get(f"/report/{council.slug}/pothole/").content.decode()
    assert "Crew rota secrets" not in page and "Internal pothole notes" not in page
