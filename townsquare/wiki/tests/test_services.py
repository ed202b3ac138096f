"""Writes: every change is a revision and an event (the audit trail); concurrent edits merge or
are refused with nothing lost; reverts are revisions; review dates; the talk page."""

from __future__ import annotations

import datetime as dt

import pytest

from townsquare.core import clock
from townsquare.core.errors import InvalidInput, PermissionDenied
from townsquare.core.models import Event
from townsquare.wiki import selectors
from townsquare.wiki.services import (
    EditConflict,
    article_create,
    article_edit,
    article_mark_reviewed,
    article_revert,
    comment_hide,
    comment_post,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(ours, council):
    principal, space = ours
    return article_create(
        principal=principal,
        council_id=council.id,
        space=space,
        title="Bins",
        body="Monday\nTuesday\nWednesday\n",
    )


def test_each_change_is_a_revision_and_an_event(article, ours, council):
    principal, _ = ours
    article_edit(
        principal=principal,
        council_id=council.id,
        article=article,
        base_revision=1,
        title="Bins",
        body="Monday\nThursday\nWednesday\n",
        summary="Thursdays now",
    )
    article_revert(principal=principal, council_id=council.id, article=article, to_number=1)
    revisions = selectors.revisions_of(article=article)
    assert [(r.number, r.summary) for r in revisions] == [
        (3, "Reverted to revision 1"),
        (2, "Thursdays now"),
        (1, "Created"),
    ]
    assert revisions[0].body == revisions[2].body
    kinds = list(
        Event.objects.filter(stream="wiki_article", stream_id=article.id)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["wiki.article_created"] + ["wiki.article_revised"] * 3
    assert set(
        Event.objects.filter(stream="wiki_article").values_list("council_id", flat=True)
    ) == {council.id}


def test_concurrent_edits_to_different_lines_are_merged(article, ours, council):
    principal, _ = ours
    article_edit(
        principal=principal,
        council_id=council.id,
        article=article,
        base_revision=1,
        title="Bins",
        body="Monday (am)\nTuesday\nWednesday\n",
    )
    outcome = article_edit(
        principal=principal,
        council_id=council.id,
        article=article,
        base_revision=1,
        title="Bins",
        body="Monday\nTuesday\nWednesday (pm)\n",
    )
    assert outcome.merged
    assert outcome.article.body == "Monday (am)\nTuesday\nWednesday (pm)\n"


def test_concurrent_edits_to_the_same_line_are_refused_keeping_both(article, ours, council):
    principal, _ = ours
    article_edit(
        principal=principal,
        council_id=council.id,
        article=article,
        base_revision=1,
        title="Bins",
        body="Sunday\nTuesday\nWednesday\n",
    )
    with pytest.raises(EditConflict) as refused:
        article_edit(
            principal=principal,
            council_id=council.id,
            article=article,
            base_revision=1,
            title="Bins",
            body="Saturday\nTuesday\nWednesday\n",
        )
    assert refused.value.theirs.body.startswith("Sunday")
    assert refused.value.mine_body.startswith("Saturday")


def test_review_dates_make_a_page_overdue_and_reviewing_clears_it(
    article, ours, council, monkeypatch
):
    principal, _ = ours
    article_mark_reviewed(
        principal=principal, council_id=council.id, article=article, review_in_days=30
    )
    assert not selectors.overdue_for_review(principal=principal, council_id=council.id)
    later = clock.now() + dt.timedelta(days=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert selectors.overdue_for_review(principal=principal, council_id=council.id) == [article]
    assert selectors.article_get(principal=principal, article_id=article.id).review_overdue


def test_staff_of_the_owner_hide_a_comment_with_a_reason(article, ours, theirs, council):
    principal, _ = ours
    stranger, _ = theirs
    comment = comment_post(principal=principal, council_id=council.id, article=article, body="Hm")
    with pytest.raises(InvalidInput):
        comment_hide(principal=principal, council_id=council.id, comment=comment, reason=" ")
    with pytest.raises(PermissionDenied):
        comment_hide(principal=stranger, council_id=None, comment=comment, reason="Rude")
    comment_hide(principal=principal, council_id=council.id, comment=comment, reason="Off topic")
    assert selectors.comments_of(article=article)[0].hidden_reason == "Off topic"
