from __future__ import annotations

import pytest

from townsquare.core.errors import InvalidInput, PermissionDenied
from townsquare.core.models import Event
from townsquare.core.ratelimit import RateLimited
from townsquare.neighbourhoods import rules as post_rules
from townsquare.neighbourhoods import selectors, services
from townsquare.neighbourhoods.models import Action, Appeal, Post, Visibility

pytestmark = pytest.mark.django_db


def _trusted_thread(ward, resident, moderator):
    """A thread whose author a moderator has let through (their next posts show at once)."""
    user, principal = resident()
    thread = services.thread_start(
        user=user,
        principal=principal,
        area=ward,
        street=None,
        title="Fly-tipping on Elm Row",
        body="Bags dumped again by the bins.",
        display_name="Sam from Elm Row",
    )
    _mod_user, mod = moderator("first@testshire.test")
    first = thread.posts.get()
    services.moderate(
        principal=mod,
        action=Action.RELEASE,
        rule_id=_rule(ward, "new-members"),
        explanation="Checked: fine.",
        post=first,
    )
    thread.refresh_from_db()
    return thread, user, principal


def _rule(ward, code):
    return next(r.id for r in services.rules_ensure(council=ward.council) if r.code == code)


def test_a_new_members_first_post_is_held_then_released(ward, resident, moderator):
    user, principal = resident()
    thread = services.thread_start(
        user=user,
        principal=principal,
        area=ward,
        street=None,
        title="Hello",
        body="First post",
        display_name="Sam",
    )
    post = thread.posts.get()
    assert post.visibility == Visibility.HELD and thread.post_count == 0
    assert selectors.threads_of(area=ward) == []
    hold = post.decisions.get()
    assert hold.automated and hold.action == Action.HOLD and hold.rule.code == "new-members"
    thread, _user, _p = _trusted_thread(ward, resident, moderator)
    assert selectors.threads_of(area=ward)[0].id == thread.id
    services.post_add(thread=thread, user=user, principal=principal, body="Second post")
    assert thread.posts.filter(visibility=Visibility.VISIBLE).count() == 2


def test_an_officers_post_is_marked_with_role_and_council_and_never_held(ward, resident, moderator):
    thread, _user, _p = _trusted_thread(ward, resident, moderator)
    officer_user, officer = moderator("officer@testshire.test")
    post = services.post_add(
        thread=thread, user=officer_user, principal=officer, body="We'll clear it on Monday."
    )
    assert post.visibility == Visibility.VISIBLE
    assert post.officer_role == "agent" and post.officer_council == "Testshire Council"


def test_every_moderation_action_needs_a_rule_and_an_explanation(ward, resident, moderator):
    thread, _user, _p = _trusted_thread(ward, resident, moderator)
    _u, mod = moderator("mod@testshire.test")
    post = thread.posts.first()
    for action in Action.values:
        for rule_id, explanation in ((None, "Because"), (_rule(ward, "respect"), "  "), (None, "")):
            with pytest.raises(InvalidInput) as refused:
                services.moderate(
                    principal=mod,
                    action=action,
                    rule_id=rule_id,
                    explanation=explanation,
                    post=post,
                )
            assert set(refused.value.problems) & {"rule", "explanation"}
    post.refresh_from_db()
    assert post.visibility == Visibility.VISIBLE


def test_nobody_decides_the_appeal_of_their_own_decision(ward, resident, moderator):
    thread, author, author_principal = _trusted_thread(ward, resident, moderator)
    _mod_user, mod = moderator("mod@testshire.test")
    _other_user, other = moderator("other@testshire.test")
    post = thread.posts.first()
    decision = services.moderate(
        principal=mod,
        action=Action.HIDE,
        rule_id=_rule(ward, "respect"),
        explanation="Name-calling.",
        post=post,
    )
    post.refresh_from_db()
    assert post.visibility == Visibility.HIDDEN
    assert selectors.decisions_about(user_id=author.pk)[0].id == decision.id
    appeal = services.appeal_make(
        decision=decision, user=author, principal=author_principal, reason="It was a joke."
    )
    with pytest.raises(PermissionDenied):
        services.appeal_decide(appeal=appeal, principal=mod, reverse=True, answer="Mine, fine.")
    services.appeal_decide(appeal=appeal, principal=other, reverse=True, answer="Restored.")
    post.refresh_from_db()
    appeal.refresh_from_db()
    assert appeal.outcome == Appeal.Outcome.REVERSED and post.visibility == Visibility.VISIBLE
    kinds = set(Event.objects.filter(stream="neighbourhood_thread").values_list("kind", flat=True))
    assert {"neighbourhoods.moderation_decided", "neighbourhoods.appeal_decided"} <= kinds


def test_only_the_subject_may_appeal(ward, resident, moderator):
    thread, _author, _p = _trusted_thread(ward, resident, moderator)
    _u, mod = moderator("mod@testshire.test")
    decision = services.moderate(
        principal=mod,
        action=Action.HIDE,
        rule_id=_rule(ward, "respect"),
        explanation="Rude.",
        post=thread.posts.first(),
    )
    stranger, stranger_p = resident("other@example.org")
    with pytest.raises(PermissionDenied):
        services.appeal_make(decision=decision, user=stranger, principal=stranger_p, reason="x")


def test_a_locked_thread_and_a_banned_person_cannot_post(ward, resident, moderator):
    thread, author, principal = _trusted_thread(ward, resident, moderator)
    _u, mod = moderator("mod@testshire.test")
    services.moderate(
        principal=mod,
        action=Action.BAN,
        rule_id=_rule(ward, "respect"),
        explanation="Repeated abuse.",
        post=thread.posts.first(),
        ban_days=7,
    )
    with pytest.raises(PermissionDenied):
        services.post_add(thread=thread, user=author, principal=principal, body="Let me in")
    services.moderate(
        principal=mod,
        action=Action.LOCK,
        rule_id=_rule(ward, "on-topic"),
        explanation="Going round in circles.",
        thread=thread,
    )
    thread.refresh_from_db()
    other, other_p = resident("other@example.org")
    with pytest.raises(PermissionDenied):
        services.post_add(thread=thread, user=other, principal=other_p, body="Hello")


def test_the_same_text_twice_is_refused(ward, resident, moderator):
    thread, author, principal = _trusted_thread(ward, resident, moderator)
    services.post_add(thread=thread, user=author, principal=principal, body="Any news?")
    with pytest.raises(InvalidInput) as refused:
        services.post_add(thread=thread, user=author, principal=principal, body="any  NEWS")
    assert refused.value.first("body").code == "duplicate"


def test_posting_past_the_limit_is_rate_limited(ward, resident, moderator, settings):
    settings.NEIGHBOURHOOD_POSTS_PER_HOUR = 3
    thread, author, principal = _trusted_thread(ward, resident, moderator)
    for n in range(2):
        services.post_add(thread=thread, user=author, principal=principal, body=f"Post {n}")
    with pytest.raises(RateLimited) as limited:
        services.post_add(thread=thread, user=author, principal=principal, body="One too many")
    assert limited.value.retry_after > 0


def test_a_thread_becomes_a_case_that_links_back(ward, resident, moderator):
    thread, _a, _p = _trusted_thread(ward, resident, moderator)
    _u, officer = moderator("officer@testshire.test")
    case = services.thread_to_case(
        thread=thread,
        principal=officer,
        service_code="pothole",
        link="http://testserver/neighbourhoods/thread/1",
        values={"depth": "deep"},
    )
    thread.refresh_from_db()
    assert thread.case_id == case.id and "neighbourhoods/thread/1" in case.description
    status = selectors.case_status(thread=thread, language="en")
    assert status.reference == case.reference and status.is_open
    with pytest.raises(InvalidInput):
        services.thread_to_case(
            thread=thread, principal=officer, service_code="pothole", link="http://x/"
        )


def test_deleting_and_retention_remove_the_author(ward, resident, moderator):
    import datetime as dt

    from townsquare.core import clock

    thread, author, principal = _trusted_thread(ward, resident, moderator)
    post = services.post_add(thread=thread, user=author, principal=principal, body="Mine")
    services.post_delete_own(post=post, user=author, principal=principal)
    post.refresh_from_db()
    assert post.body == "" and post.author_id is None and post.visibility == Visibility.DELETED
    later = clock.now() + dt.timedelta(days=30 * 25)
    assert services.posts_anonymise_expired(now=later) >= 1
    assert not Post.objects.filter(author__isnull=False, thread=thread).exists()


def test_the_public_log_counts_without_personal_data(ward, resident, moderator):
    _trusted_thread(ward, resident, moderator)
    rows = selectors.moderation_log(council=ward.council)
    assert [(r.rule.code, r.action, r.count) for r in rows] == [
        ("new-members", "hold", 1),
        ("new-members", "release", 1),
    ] or sorted((r.action, r.count) for r in rows) == [("hold", 1), ("release", 1)]


def test_markdown_is_made_safe():
    html = post_rules.render("**hi** <script>x</script> [a](javascript:alert(1)) ![i](http://x/i)")
    assert "<strong>hi</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "<img" not in html


def test_a_post_that_describes_a_problem_suggests_reporting_it():
    services = [("pothole", ["Pothole", "hole in the road"]), ("litter", ["Litter", "bin"])]
    assert post_rules.reportable_service("There's a big pothole here!", services) == "pothole"
    assert post_rules.reportable_service("a HOLE in the road again", services) == "pothole"
    assert post_rules.reportable_service("Street party in July?", services) is None
    assert post_rules.reportable_service("Binoculars found", services) is None


def test_a_hidden_opening_post_takes_the_threads_title_with_it(ward, resident, moderator):
    thread, _user, _principal = _trusted_thread(ward, resident, moderator)
    officer_user, officer = moderator("second@testshire.test")
    services.post_add(thread=thread, user=officer_user, principal=officer, body="We are on it.")
    assert selectors.thread_get(thread_id=thread.id).public_title == "Fly-tipping on Elm Row"
    services.moderate(
        principal=officer,
        action=Action.HIDE,
        rule_id=_rule(ward, "new-members"),
        explanation="A phone number in the title.",
        post=thread.posts.order_by("created_at", "id").first(),
    )
    shown = selectors.thread_get(thread_id=thread.id)
    assert shown.public_title != "Fly-tipping on Elm Row"
    listed = selectors.threads_of(area=ward)  # still listed: the officer's reply is shown
    assert [t.id for t in listed] == [thread.id]
    assert listed[0].public_title != "Fly-tipping on Elm Row"
