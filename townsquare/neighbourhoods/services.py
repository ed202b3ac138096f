"""Writes for neighbourhood discussion: keyword-only, atomic, each appending its event (the
audit trail). Interfaces turn the errors into pages."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F

from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import case_create
from townsquare.core import clock, ratelimit
from townsquare.core.errors import InvalidInput, NotFound, PermissionDenied, Problem
from townsquare.core.eventlog import append_event
from townsquare.councils.models import Area, Council, Place
from townsquare.geo.points import Point
from townsquare.neighbourhoods import events, policies, rules
from townsquare.neighbourhoods.models import (
    Action,
    Appeal,
    Decision,
    Neighbour,
    Notice,
    Post,
    PostReport,
    Rule,
    Thread,
    Visibility,
)

# How long a person's identical text counts as the same post again.
DUPLICATE_WINDOW = dt.timedelta(days=1)
# Months a post keeps its author when the council's settings name none.
DEFAULT_RETENTION_MONTHS = 24
# What each action leaves a post as; restoring and releasing make it visible again.
_POST_VISIBILITY = {
    Action.HIDE: Visibility.HIDDEN,
    Action.REMOVE: Visibility.REMOVED,
    Action.HOLD: Visibility.HELD,
    Action.RESTORE: Visibility.VISIBLE,
    Action.RELEASE: Visibility.VISIBLE,
}
_POST_ACTIONS = {*_POST_VISIBILITY, Action.EDIT_REQUEST}


def rules_ensure(*, council: Council) -> list[Rule]:
    """The council's rules, starting it from the default set when it has none."""
    existing = list(Rule.objects.filter(council=council))
    if existing:
        return existing
    with transaction.atomic():
        for position, (code, title, title_cy, text, text_cy) in enumerate(rules.DEFAULT_RULES):
            Rule.objects.get_or_create(
                council=council,
                code=code,
                defaults={
                    "title": title,
                    "title_cy": title_cy,
                    "description": text,
                    "description_cy": text_cy,
                    "position": position,
                },
            )
    return list(Rule.objects.filter(council=council))


def _rule(council: Council, code: str) -> Rule:
    rules_ensure(council=council)
    return Rule.objects.get(council=council, code=code)


def _clean(text: str, *, field: str, limit: int, required: str) -> str:
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise InvalidInput({field: [Problem(required, code=f"{field}_required")]})
    if len(text) > limit:
        raise InvalidInput(
            {
                field: [
                    Problem(
                        "Must be %(limit)s characters or fewer",
                        code=f"{field}_too_long",
                        params={"limit": limit},
                    )
                ]
            }
        )
    return text


def neighbour_for(*, user) -> Neighbour | None:
    return Neighbour.objects.filter(user=user).first()


def _neighbour(user, display_name: str | None) -> Neighbour:
    neighbour = Neighbour.objects.filter(user=user).first()
    if display_name is not None or neighbour is None:
        name = _clean(
            display_name or "", field="display_name", limit=rules.MAX_NAME, required="Enter a name"
        )
        if neighbour is None:
            neighbour = Neighbour.objects.create(
                user=user, display_name=name, created_at=clock.now()
            )
        elif neighbour.display_name != name:
            neighbour.display_name = name
            neighbour.save(update_fields=["display_name"])
    return neighbour


def banned_until(*, user, council_id: int) -> dt.datetime | None:
    """When the person's ban in this council ends (far future for an open-ended one), or
    None when not banned."""
    now = clock.now()
    bans = Decision.objects.filter(council_id=council_id, subject=user, action=Action.BAN).exclude(
        appeal__outcome=Appeal.Outcome.REVERSED
    )
    for ban in bans.order_by("-decided_at"):
        if ban.until is None:
            return dt.datetime.max.replace(tzinfo=dt.UTC)
        if ban.until > now:
            return ban.until
    return None


def _limit(user) -> None:
    """Each person may post NEIGHBOURHOOD_POSTS_PER_HOUR, in every process together (the
    database token bucket); past it, RateLimited with the seconds to wait."""
    rate, burst = ratelimit.per_hour(settings.NEIGHBOURHOOD_POSTS_PER_HOUR)
    ratelimit.take_or_raise(f"neighbourhood-post:{user.pk}", rate=rate, burst=burst)


def _officer_role(principal: Principal, council_id: int) -> str:
    if not policies.is_officer(principal, council_id):
        return ""
    return principal.role_in(council_id) or "council_admin"


def _add(
    *, thread: Thread, user, principal: Principal, body: str, display_name: str | None
) -> Post:
    """Insert a post (inside the caller's transaction). Officers' posts carry their role
    and council and are never held; a person whose posts no moderator has let through yet
    (a new member) waits for review, as does the same text posted again."""
    body = _clean(body, field="body", limit=rules.MAX_BODY, required="Enter your message")
    now = clock.now()
    role = _officer_role(principal, thread.council_id)
    neighbour = _neighbour(user, display_name if not role else (display_name or principal.label))
    digest = rules.fingerprint(body)
    if Post.objects.filter(
        author=user, fingerprint=digest, created_at__gte=now - DUPLICATE_WINDOW
    ).exists():
        raise InvalidInput({"body": [Problem("You have already posted this", code="duplicate")]})
    held = not role and not neighbour.trusted
    post = Post.objects.create(
        thread=thread,
        author=user,
        display_name=neighbour.display_name,
        officer_role=role,
        officer_council=thread.council.name if role else "",
        body=body,
        fingerprint=digest,
        visibility=Visibility.HELD if held else Visibility.VISIBLE,
        created_at=now,
    )
    if held:
        reason = (
            "A new member's post with a link waits for a moderator."
            if rules.has_link(body)
            else "A new member's first posts wait for a moderator."
        )
        _decide(
            council=thread.council,
            action=Action.HOLD,
            rule=_rule(thread.council, rules.HOLD_RULE),
            explanation=reason,
            post=post,
            thread=thread,
            subject=user,
            actor=None,
        )
    else:
        Thread.objects.filter(pk=thread.pk).update(post_count=F("post_count") + 1, last_post_at=now)
    return post


def thread_start(
    *,
    user,
    principal: Principal,
    area: Area,
    street: Place | None,
    title: str,
    body: str,
    display_name: str | None = None,
) -> Thread:
    """Start a thread on a ward's page (or one of its streets') with its first post."""
    council = area.council
    if street is not None and (street.council_id != council.id or street.area_id != area.id):
        raise NotFound("No such street in this ward")
    if banned_until(user=user, council_id=council.id):
        raise PermissionDenied("You cannot post here at the moment", code="banned")
    title = _clean(title, field="title", limit=rules.MAX_TITLE, required="Enter a title")
    _limit(user)
    now = clock.now()
    with transaction.atomic():
        thread = Thread.objects.create(
            council=council,
            area=area,
            street=street,
            title=title,
            created_at=now,
            last_post_at=now,
        )
        post = _add(
            thread=thread, user=user, principal=principal, body=body, display_name=display_name
        )
        append_event(
            events.ThreadStarted(thread_id=thread.id, area_id=area.id, post_id=post.id),
            council_id=council.id,
            stream="neighbourhood_thread",
            stream_id=thread.id,
            actor=principal.as_actor(),
        )
    thread.refresh_from_db()
    return thread


def post_add(
    *, thread: Thread, user, principal: Principal, body: str, display_name: str | None = None
) -> Post:
    """Reply in a thread. Refused when the thread is locked or the person is banned; past
    the person's limit, RateLimited."""
    if thread.locked:
        raise PermissionDenied("This thread is locked", code="locked")
    if banned_until(user=user, council_id=thread.council_id):
        raise PermissionDenied("You cannot post here at the moment", code="banned")
    _limit(user)
    with transaction.atomic():
        post = _add(
            thread=thread, user=user, principal=principal, body=body, display_name=display_name
        )
        append_event(
            events.PostAdded(
                thread_id=thread.id,
                post_id=post.id,
                held=post.visibility == Visibility.HELD,
                officer=bool(post.officer_role),
            ),
            council_id=thread.council_id,
            stream="neighbourhood_thread",
            stream_id=thread.id,
            actor=principal.as_actor(),
        )
    return post


def post_delete_own(*, post: Post, user, principal: Principal) -> None:
    """A person deletes their own post: its words and their name go at once."""
    if post.author_id is None or post.author_id != user.pk:
        raise PermissionDenied("You can only delete your own posts")
    with transaction.atomic():
        was_visible = post.visibility == Visibility.VISIBLE
        post.visibility = Visibility.DELETED
        post.body = ""
        post.display_name = ""
        post.author = None
        post.anonymised_at = clock.now()
        post.save(update_fields=["visibility", "body", "display_name", "author", "anonymised_at"])
        if was_visible:
            Thread.objects.filter(pk=post.thread_id).update(post_count=F("post_count") - 1)
        append_event(
            events.PostDeleted(thread_id=post.thread_id, post_id=post.id),
            council_id=post.thread.council_id,
            stream="neighbourhood_thread",
            stream_id=post.thread_id,
            actor=principal.as_actor(),
        )


def _decide(
    *,
    council: Council,
    action: str,
    rule: Rule,
    explanation: str,
    post: Post | None,
    thread: Thread | None,
    subject,
    actor: Principal | None,
    until: dt.datetime | None = None,
) -> Decision:
    """Record one decision and apply it (inside the caller's transaction)."""
    decision = Decision.objects.create(
        council=council,
        action=action,
        post=post,
        thread=thread,
        subject=subject,
        rule=rule,
        explanation=explanation,
        automated=actor is None,
        moderator_id=actor.user_id if actor else None,
        moderator_label=actor.label if actor else "Automatic check",
        decided_at=clock.now(),
        until=until,
    )
    _apply(decision, reverse=False)
    append_event(
        events.ModerationDecided(
            decision_id=decision.id,
            action=action,
            rule_code=rule.code,
            thread_id=thread.id if thread else None,
            post_id=post.id if post else None,
            automated=actor is None,
        ),
        council_id=council.id,
        stream="neighbourhood_thread",
        stream_id=thread.id if thread else 0,
        actor=actor.as_actor() if actor else Principal.system("Automatic check").as_actor(),
    )
    return decision


def _set_visibility(post: Post, visibility: str) -> None:
    was_visible = post.visibility == Visibility.VISIBLE
    post.visibility = visibility
    post.save(update_fields=["visibility"])
    change = (visibility == Visibility.VISIBLE) - was_visible
    if change:
        Thread.objects.filter(pk=post.thread_id).update(post_count=F("post_count") + change)


def _apply(decision: Decision, *, reverse: bool) -> None:
    """Carry out a decision, or undo it when an appeal reverses it."""
    action, post, thread = decision.action, decision.post, decision.thread
    if post is not None and post.visibility == Visibility.DELETED:
        return
    if action in _POST_VISIBILITY and post is not None:
        if reverse:
            undone = action in {Action.RESTORE, Action.RELEASE}
            _set_visibility(post, Visibility.HIDDEN if undone else Visibility.VISIBLE)
        else:
            _set_visibility(post, _POST_VISIBILITY[Action(action)])
        if action == Action.RELEASE and not reverse and post.author_id:
            Neighbour.objects.filter(user_id=post.author_id).update(trusted=True)
        if action == Action.HOLD and reverse and post.author_id:
            Neighbour.objects.filter(user_id=post.author_id).update(trusted=True)
    elif action == Action.LOCK and thread is not None:
        thread.locked = not reverse
        thread.save(update_fields=["locked"])


def moderate(
    *,
    principal: Principal,
    action: str,
    rule_id: int | None,
    explanation: str,
    post: Post | None = None,
    thread: Thread | None = None,
    ban_days: int | None = None,
) -> Decision:
    """A moderator's decision. Every one names a rule of the council and explains itself in
    words the author will read; otherwise it is refused (DSA statement of reasons)."""
    if post is not None:
        thread = post.thread
    if thread is None:
        raise NotFound("Nothing to moderate")
    council = thread.council
    if not policies.can_moderate(principal, council.id):
        raise PermissionDenied("You cannot moderate this council's pages")
    problems: dict[str, list[Problem]] = {}
    if action not in Action.values:
        problems["action"] = [Problem("Choose an action", code="action_required")]
    elif action in _POST_ACTIONS and post is None:
        problems["action"] = [Problem("Choose a post for this action", code="post_required")]
    rule = Rule.objects.filter(council=council, pk=rule_id).first() if rule_id else None
    if rule is None:
        problems["rule"] = [Problem("Choose the rule", code="rule_required")]
    explanation = (explanation or "").strip()
    if not explanation:
        problems["explanation"] = [
            Problem("Explain the decision to its author", code="explanation_required")
        ]
    if problems:
        raise InvalidInput(problems)
    assert rule is not None
    subject = post.author if post is not None else None
    until = None
    if action == Action.BAN:
        subject = subject or (thread.posts.order_by("id").first().author if thread else None)
        if subject is None:
            raise InvalidInput({"action": [Problem("Nobody to ban", code="post_required")]})
        if ban_days:
            until = clock.now() + dt.timedelta(days=ban_days)
    with transaction.atomic():
        decision = _decide(
            council=council,
            action=action,
            rule=rule,
            explanation=explanation[:2000],
            post=post,
            thread=thread,
            subject=subject,
            actor=principal,
            until=until,
        )
        if post is not None:
            PostReport.objects.filter(post=post, handled_at__isnull=True).update(
                handled_at=decision.decided_at
            )
    return decision


def appeal_make(*, decision: Decision, user, principal: Principal, reason: str) -> Appeal:
    """The person a decision is about asks for it to be looked at again, once."""
    if decision.subject_id is None or decision.subject_id != user.pk:
        raise PermissionDenied("Only the person this decision is about may appeal it")
    reason = _clean(reason, field="reason", limit=2000, required="Say why the decision is wrong")
    if Appeal.objects.filter(decision=decision).exists():
        raise InvalidInput({"reason": [Problem("You have already appealed", code="appealed")]})
    with transaction.atomic():
        appeal = Appeal.objects.create(
            decision=decision, appellant=user, reason=reason, created_at=clock.now()
        )
        append_event(
            events.AppealMade(decision_id=decision.id, appeal_id=appeal.id),
            council_id=decision.council_id,
            stream="neighbourhood_thread",
            stream_id=decision.thread_id or 0,
            actor=principal.as_actor(),
        )
    return appeal


def appeal_decide(*, appeal: Appeal, principal: Principal, reverse: bool, answer: str) -> Appeal:
    """Another moderator upholds or reverses a decision, with an answer the author reads.
    The moderator who made the decision may not decide its appeal."""
    decision = appeal.decision
    if not policies.can_moderate(principal, decision.council_id):
        raise PermissionDenied("You cannot moderate this council's pages")
    if not policies.can_decide_appeal(
        principal, decision.council_id, moderator_id=decision.moderator_id
    ):
        raise PermissionDenied(
            "Another moderator must decide the appeal of your own decision", code="own_decision"
        )
    if appeal.outcome != Appeal.Outcome.PENDING:
        raise InvalidInput(Problem("This appeal is already decided", code="decided"))
    answer = _clean(answer, field="answer", limit=2000, required="Explain the outcome")
    with transaction.atomic():
        appeal.outcome = Appeal.Outcome.REVERSED if reverse else Appeal.Outcome.UPHELD
        appeal.answer = answer
        appeal.decided_by_id = principal.user_id
        appeal.decided_at = clock.now()
        appeal.save(update_fields=["outcome", "answer", "decided_by", "decided_at"])
        if reverse:
            if decision.post_id:
                decision.post.refresh_from_db()
            _apply(decision, reverse=True)
        append_event(
            events.AppealDecided(
                decision_id=decision.id, appeal_id=appeal.id, outcome=appeal.outcome
            ),
            council_id=decision.council_id,
            stream="neighbourhood_thread",
            stream_id=decision.thread_id or 0,
            actor=principal.as_actor(),
        )
    return appeal


def post_report(*, post: Post, user, principal: Principal, rule_id: int | None, note: str):
    rule = Rule.objects.filter(council_id=post.thread.council_id, pk=rule_id).first()
    if rule is None:
        raise InvalidInput({"rule": [Problem("Choose the rule", code="rule_required")]})
    with transaction.atomic():
        report = PostReport.objects.create(
            post=post, reporter=user, rule=rule, note=(note or "")[:1000], created_at=clock.now()
        )
        append_event(
            events.PostReported(post_id=post.id, rule_code=rule.code),
            council_id=post.thread.council_id,
            stream="neighbourhood_thread",
            stream_id=post.thread_id,
            actor=principal.as_actor(),
        )
    return report


def thread_to_case(
    *,
    thread: Thread,
    principal: Principal,
    service_code: str,
    link: str,
    values: dict | None = None,
) -> Case:
    """An officer turns a thread into a case of one of the council's services (with the
    answers its required questions need): the case says where it came from (`link`, the
    thread's address) and the thread shows the case."""
    if not policies.is_officer(principal, thread.council_id):
        raise PermissionDenied("Only the council's officers can make a case from a thread")
    if thread.case_id:
        raise InvalidInput(Problem("This thread is already a case", code="already_case"))
    first = thread.posts.filter(visibility=Visibility.VISIBLE).order_by("id").first()
    description = f"{thread.title}\n\n{first.body if first else ''}".strip()
    description = f"{description[:3500]}\n\nFrom the neighbourhood discussion: {link}"
    point = Point(thread.street.lat, thread.street.lng) if thread.street else None
    with transaction.atomic():
        case = case_create(
            service_code=service_code,
            actor=principal,
            council=thread.council,
            point=point,
            area_id=None if point else thread.area_id,
            description=description,
            values=values or {},
            channel="staff",
            location_approximate=True,
        )
        updated = Thread.objects.filter(pk=thread.pk, case__isnull=True).update(case=case)
        if not updated:
            raise InvalidInput(Problem("This thread is already a case", code="already_case"))
        thread.case = case
        append_event(
            events.ThreadTurnedIntoCase(
                thread_id=thread.id, case_id=case.id, reference=case.reference
            ),
            council_id=thread.council_id,
            stream="neighbourhood_thread",
            stream_id=thread.id,
            actor=principal.as_actor(),
        )
    return case


def notice_post(
    *,
    principal: Principal,
    area: Area,
    title: str,
    body: str,
    starts_on: dt.date,
    ends_on: dt.date,
) -> Notice:
    if not policies.is_officer(principal, area.council_id):
        raise PermissionDenied("Only the council's officers can post notices")
    title = _clean(title, field="title", limit=rules.MAX_TITLE, required="Enter a title")
    body = _clean(body, field="body", limit=rules.MAX_BODY, required="Enter the notice")
    if ends_on < starts_on:
        raise InvalidInput({"ends_on": [Problem("Must be on or after the start", code="order")]})
    with transaction.atomic():
        notice = Notice.objects.create(
            council_id=area.council_id,
            area=area,
            title=title,
            body=body,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by_id=principal.user_id,
            created_at=clock.now(),
        )
        append_event(
            events.NoticePosted(notice_id=notice.id, area_id=area.id),
            council_id=area.council_id,
            stream="neighbourhood_notice",
            stream_id=notice.id,
            actor=principal.as_actor(),
        )
    return notice


def posts_anonymise_expired(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Posts older than their council's retention (settings "neighbourhood_retention_months",
    else DEFAULT_RETENTION_MONTHS) lose their author and display name; the words stay where
    they were visible, so a discussion still reads. Returns how many were anonymised."""
    now = now or clock.now()
    done = 0
    for council in Council.objects.filter(is_active=True).only("id", "settings"):
        months = int(
            (council.settings or {}).get("neighbourhood_retention_months")
            or DEFAULT_RETENTION_MONTHS
        )
        cutoff = now - dt.timedelta(days=30 * months)
        ids = list(
            Post.objects.filter(
                thread__council_id=council.id, created_at__lt=cutoff, anonymised_at__isnull=True
            ).values_list("id", flat=True)[: limit - done]
        )
        if ids:
            done += Post.objects.filter(id__in=ids).update(
                author=None, display_name="", anonymised_at=now
            )
        if done >= limit:
            break
    return done


def rule_save(
    *,
    principal: Principal,
    council: Council,
    code: str,
    title: str,
    description: str,
    title_cy: str = "",
    description_cy: str = "",
) -> Rule:
    """A council admin writes one of the council's rules (new, or changed by its code): the
    public rules page shows it at once; decisions already made keep pointing at it."""
    from townsquare.accounts import policies as account_policies

    if not account_policies.can_administer_council(principal, council.id):
        raise PermissionDenied("Only the council's administrators can change its rules")
    code = (code or "").strip().lower()[:40]
    if not code or not all(c.isalnum() or c == "-" for c in code):
        raise InvalidInput({"code": [Problem("Use letters, digits and -", code="code_invalid")]})
    title = _clean(title, field="title", limit=120, required="Enter the rule's title")
    description = _clean(description, field="description", limit=2000, required="Describe the rule")
    rules_ensure(council=council)
    with transaction.atomic():
        rule, _created = Rule.objects.update_or_create(
            council=council,
            code=code,
            defaults={
                "title": title,
                "description": description,
                "title_cy": (title_cy or "").strip()[:120],
                "description_cy": (description_cy or "").strip()[:2000],
            },
        )
        append_event(
            events.RuleSaved(rule_id=rule.id, code=rule.code),
            council_id=council.id,
            stream="neighbourhood_rule",
            stream_id=rule.id,
            actor=principal.as_actor(),
        )
    return rule
