"""No private or staff-only article is readable, searchable or linkable by anyone it is not
shared with: other councils, residents, anonymous people (issue 16's Done-when)."""

from __future__ import annotations

import pytest

from tests import factories
from townsquare.accounts.principal import Principal
from townsquare.core.errors import NotFound, PermissionDenied
from townsquare.wiki import selectors
from townsquare.wiki.models import Visibility
from townsquare.wiki.services import article_copy, article_create

pytestmark = pytest.mark.django_db


def _make(principal, council, space, title, visibility):
    return article_create(
        principal=principal,
        council_id=council.id,
        space=space,
        title=title,
        body=f"Zebracrossing guidance, {visibility} edition. See [[{title}]].",
        visibility=visibility,
        tags="zebracrossing",
    )


@pytest.fixture
def three(theirs, other_council):
    principal, space = theirs
    return {
        v: _make(principal, other_council, space, f"Otherton {v} page", v)
        for v in (Visibility.PUBLIC, Visibility.STAFF, Visibility.PRIVATE)
    }


def _can_read(principal, article) -> bool:
    try:
        selectors.article_get(principal=principal, article_id=article.id)
    except NotFound:
        return False
    return True


def _found(principal) -> set[str]:
    return {
        hit.article.title
        for hit in selectors.articles_search(principal=principal, query="zebracrossing")
    }


def _linked(principal, article) -> bool:
    found = selectors.links_resolve(principal=principal, titles=[article.title])
    return found[article.title] == article.id


def test_who_reads_searches_and_links_what(three, ours, theirs, resident):
    stranger, _ = ours
    owner, _ = theirs
    anonymous = Principal.anonymous()
    public, staff, private = (three[v] for v in ("public", "staff", "private"))
    expected = {
        # reader: articles they may reach
        "anonymous": (anonymous, {public}),
        "resident": (resident, {public}),
        "another council's staff": (stranger, {public, staff}),
        "the owner's staff": (owner, {public, staff, private}),
    }
    for who, (principal, allowed) in expected.items():
        for article in (public, staff, private):
            reach = article in allowed
            assert _can_read(principal, article) is reach, (who, article.title)
            assert (article.title in _found(principal)) is reach, (who, article.title)
            assert _linked(principal, article) is reach, (who, article.title)


def test_search_filters_do_not_open_a_door(three, ours):
    stranger, _ = ours
    private = three["private"]
    hits = selectors.articles_search(
        principal=stranger, query="zebracrossing private", space=private.space.slug
    )
    assert private.id not in {h.article.id for h in hits}


def test_a_private_article_cannot_be_copied_or_edited_by_another_council(three, ours, council):
    stranger, _ = ours
    with pytest.raises(NotFound):
        article_copy(
            principal=stranger, council_id=council.id, council=council, source=three["private"]
        )
    with pytest.raises(PermissionDenied):
        article_create(
            principal=stranger,
            council_id=council.id,
            space=three["private"].space,
            title="Planted",
            body="x",
        )


def test_a_shared_spaces_private_article_is_read_by_its_members_only(
    commons, ours, theirs, council
):
    member, _ = ours
    article = article_create(
        principal=member,
        council_id=council.id,
        space=commons,
        title="Commons private",
        body="zebracrossing",
        visibility=Visibility.PRIVATE,
    )
    # The commons is open to every council, so every council's staff are members...
    assert _can_read(theirs[0], article)
    # ...and nobody else.
    assert not _can_read(Principal.anonymous(), article)


def test_a_page_awaiting_approval_is_read_by_its_space_only_until_approved(ours, theirs, council):
    from townsquare.wiki.models import Space, SpaceKind
    from townsquare.wiki.services import article_approve

    author, _ = ours
    _reviewer_user, reviewer = factories.make_staff(council, "supervisor")
    outsider, _ = theirs
    shared = Space.objects.create(
        slug="highways-partnership",
        name="Highways partnership",
        kind=SpaceKind.SHARED,
        requires_approval=True,
    )
    shared.members.add(council)
    article = _make(author, council, shared, "Shared gritting plan", Visibility.PUBLIC)
    assert not article.published
    for principal in (outsider, Principal.anonymous()):
        assert not _can_read(principal, article)
        assert article.title not in _found(principal)
    assert _can_read(reviewer, article)
    with pytest.raises(PermissionDenied):  # not by its own author
        article_approve(principal=author, council_id=council.id, article=article)
    article_approve(principal=reviewer, council_id=council.id, article=article)
    assert _can_read(Principal.anonymous(), article)
    assert article.title in _found(outsider)
