"""Municipedia's pages at /wiki/: the Done-when path in process (find a council's article by
search, copy it, edit, compare, revert, see the source change), the public reading of public
articles only, and live figures in an article."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests import factories
from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create
from townsquare.geo.points import Point
from townsquare.wiki.models import Article, Visibility
from townsquare.wiki.services import article_create, article_edit, council_space_ensure

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(other_council):
    _user, principal = factories.make_staff(other_council, "agent", "writer@otherby.test")
    return article_create(
        principal=principal,
        council_id=other_council.id,
        space=council_space_ensure(council=other_council),
        title="How we cut pothole repair times",
        body="## What we did\n\nOne crew per ward.\n\nTriage by depth.\n",
        visibility=Visibility.STAFF,
        tags="highways potholes",
        service_codes="pothole",
    ), principal


def _id_from(response) -> int:
    return int(re.search(r"/wiki/(\d+)/", response["Location"]).group(1))


def test_find_copy_edit_compare_revert_and_see_the_source_change(
    staff_client, source, other_council
):
    article, writer = source
    client = staff_client("agent")
    found = client.get("/wiki/search", {"q": "pothole repair"})
    assert found.status_code == 200
    assert f'href="/wiki/{article.id}/"' in found.content.decode()

    copied = client.post(f"/wiki/{article.id}/copy")
    copy_id = _id_from(copied)
    page = client.get(f"/wiki/{copy_id}/").content.decode()
    assert "Copied from" in page and "The source has changed" not in page

    edited = client.post(
        f"/wiki/{copy_id}/edit",
        {
            "base_revision": "1",
            "title": "How we cut pothole repair times",
            "body": "## What we did\n\nOne crew per ward.\n\nTriage by depth and traffic.\n",
            "visibility": "private",
            "summary": "Our triage",
        },
    )
    assert edited.status_code == 302
    diff = client.get(f"/wiki/{copy_id}/diff", {"old": 1, "new": 2}).content.decode()
    assert "Triage by depth.</td>" in diff and "Triage by depth and traffic.</td>" in diff

    assert client.post(f"/wiki/{copy_id}/revert", {"number": 1}).status_code == 302
    copy = Article.objects.get(id=copy_id)
    assert copy.revision_number == 3 and "Triage by depth.\n" in copy.body

    # The source changes: the copy says so and shows the source's diff.
    article_edit(
        principal=writer,
        council_id=other_council.id,
        article=article,
        base_revision=1,
        title=article.title,
        body=article.body + "\nRepairs checked a week later.\n",
    )
    page = client.get(f"/wiki/{copy_id}/").content.decode()
    assert "The source has changed since" in page
    changes = client.get(f"/wiki/{copy_id}/source-changes").content.decode()
    assert "Repairs checked a week later." in changes
    assert client.post(f"/wiki/{copy_id}/bring-in").status_code == 302
    assert "Repairs checked a week later." in Article.objects.get(id=copy_id).body


def test_a_concurrent_edit_on_the_same_lines_is_refused_with_both_texts(staff_client, council):
    client = staff_client("agent")
    _user, other = factories.make_staff(council, "supervisor")
    created = client.post(
        "/wiki/new",
        {
            "space": f"council-{council.slug}",
            "title": "Bins",
            "body": "Monday\n",
            "visibility": "private",
        },
    )
    article = Article.objects.get(id=_id_from(created))
    article_edit(
        principal=other,
        council_id=council.id,
        article=article,
        base_revision=1,
        title="Bins",
        body="Tuesday\n",
    )
    refused = client.post(
        f"/wiki/{article.id}/edit",
        {"base_revision": "1", "title": "Bins", "body": "Wednesday\n", "visibility": "private"},
    )
    page = refused.content.decode()
    assert refused.status_code == 409
    assert "Tuesday" in page and "Wednesday" in page  # theirs and mine: nothing lost
    assert Article.objects.get(id=article.id).body == "Tuesday\n"


def test_residents_and_anonymous_people_read_public_articles_only(source, other_council):
    article, writer = source
    public = article_create(
        principal=writer,
        council_id=other_council.id,
        space=article.space,
        title="Report a pothole: before you start",
        body="Tell us where it is.",
        visibility=Visibility.PUBLIC,
    )
    anonymous = Client()
    assert anonymous.get(f"/wiki/{public.id}/").status_code == 200
    assert anonymous.get(f"/wiki/{article.id}/").status_code == 404
    results = anonymous.get("/wiki/search", {"q": "pothole"}).content.decode()
    assert f"/wiki/{public.id}/" in results and f"/wiki/{article.id}/" not in results
    assert anonymous.get(f"/wiki/{public.id}/edit").status_code == 302  # to sign in


def test_an_article_shows_a_councils_live_figures(staff_client, council):
    case_create(
        council=council,
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        reporter=Reporter(email="pat@example.org"),
    )
    client = staff_client("agent")
    created = client.post(
        "/wiki/new",
        {
            "space": f"council-{council.slug}",
            "title": "Our potholes",
            "visibility": "staff",
            "body": f"Our figures:\n\n{{{{figures council={council.slug} service=pothole}}}}\n",
        },
    )
    page = client.get(created["Location"]).content.decode()
    assert "live figures" in page and "Reported" in page and "Median time to fix" in page


def test_watched_pages_that_changed_are_listed_until_marked_seen(staff_client, source):
    article, writer = source
    client = staff_client("agent")
    client.post(f"/wiki/{article.id}/watch", {"watch": "on"})
    assert "Changes to pages you watch" not in client.get("/wiki/").content.decode()
    article_edit(
        principal=writer,
        council_id=article.space.council_id,
        article=article,
        base_revision=1,
        title=article.title,
        body=article.body + "More.\n",
    )
    page = client.get("/wiki/").content.decode()
    assert (
        "Changes to pages you watch" in page and f"/wiki/{article.id}/diff?old=1&amp;new=2" in page
    )
    client.post("/wiki/watched/seen")
    assert "Changes to pages you watch" not in client.get("/wiki/").content.decode()


def test_the_talk_page_posts_and_hides_with_a_reason(staff_client, council):
    client = staff_client("agent")
    created = client.post(
        "/wiki/new",
        {
            "space": f"council-{council.slug}",
            "title": "Gritting",
            "body": "Routes.",
            "visibility": "staff",
        },
    )
    article_id = _id_from(created)
    client.post(f"/wiki/{article_id}/talk", {"body": "Which routes first?"})
    page = client.get(f"/wiki/{article_id}/talk").content.decode()
    assert "Which routes first?" in page
    comment_id = int(re.search(r"/talk/(\d+)/hide", page).group(1))
    refused = client.post(f"/wiki/{article_id}/talk/{comment_id}/hide", {"reason": ""}, follow=True)
    assert "Say why the comment is hidden" in refused.content.decode()
    client.post(f"/wiki/{article_id}/talk/{comment_id}/hide", {"reason": "Duplicate"})
    page = client.get(f"/wiki/{article_id}/talk").content.decode()
    assert "Which routes first?" not in page and "Duplicate" in page
