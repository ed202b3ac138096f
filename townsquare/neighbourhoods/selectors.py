"""Reads for neighbourhood pages: each one query per kind of thing, whatever the page size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth

from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.selectors import PublicListing, PublicSearch, public_cases_search
from townsquare.catalogue.selectors import workflow_for_version
from townsquare.core import clock
from townsquare.core.errors import NotFound
from townsquare.councils.models import Area, Council, Place
from townsquare.geo.points import Point
from townsquare.neighbourhoods import policies
from townsquare.neighbourhoods.models import (
    Appeal,
    Decision,
    Notice,
    Post,
    PostReport,
    Rule,
    Thread,
    Visibility,
)

# Reports shown on a page: the open ones and those fixed in the last RECENT days.
RECENT = dt.timedelta(days=30)
STREET_RADIUS_M = 300
THREADS_PER_PAGE = 20


def area_get(*, council: Council, code: str) -> Area:
    area = Area.objects.filter(council=council, code=code).defer("boundary").first()
    if area is None:
        raise NotFound(f"No ward {code!r}")
    return area


def wards_of(*, council: Council) -> list[Area]:
    return list(
        Area.objects.filter(council=council, kind="ward").defer("boundary").order_by("name")
    )


def streets_of(*, area: Area, starting: str = "", limit: int = 400) -> list[Place]:
    qs = Place.objects.filter(council_id=area.council_id, area=area, kind=Place.Kind.STREET)
    if starting:
        qs = qs.filter(search_name__startswith=starting.lower())
    return list(qs.order_by("name").only("id", "name", "qualifier")[:limit])


def street_get(*, area: Area, street_id: int) -> Place:
    street = Place.objects.filter(
        pk=street_id, council_id=area.council_id, area=area, kind=Place.Kind.STREET
    ).first()
    if street is None:
        raise NotFound("No such street in this ward")
    return street


# The opening post's visibility: its author wrote the thread's title (Thread.public_title).
_OPENING_VISIBILITY = Subquery(
    Post.objects.filter(thread=OuterRef("pk")).order_by("created_at", "id").values("visibility")[:1]
)


def threads_of(*, area: Area, street: Place | None = None, offset: int = 0) -> list[Thread]:
    """Threads with something visible in them, latest activity first: THREADS_PER_PAGE from
    `offset`, and one more when there are more (for an "older" link)."""
    qs = Thread.objects.filter(area=area, post_count__gt=0).annotate(
        opening_visibility=_OPENING_VISIBILITY
    )
    qs = qs.filter(street=street) if street is not None else qs
    return list(
        qs.select_related("street").order_by("-last_post_at", "-id")[
            offset : offset + THREADS_PER_PAGE + 1
        ]
    )


def notices_current(*, area: Area, today: dt.date | None = None) -> list[Notice]:
    today = today or clock.now().date()
    return list(
        Notice.objects.filter(area=area, ends_on__gte=today).order_by("starts_on", "id")[:20]
    )


@dataclass(frozen=True)
class NearbyReports:
    open: PublicListing
    fixed: PublicListing


def reports_nearby(*, area: Area, street: Place | None = None) -> NearbyReports:
    """Open public reports in the ward (or near the street) and those fixed lately, latest
    activity first."""
    since = clock.now() - RECENT
    council_ids = frozenset({area.council_id})
    if street is not None:
        near = {"center": Point(street.lat, street.lng), "radius_m": STREET_RADIUS_M}
        return NearbyReports(
            open=public_cases_search(
                search=PublicSearch(council_ids=council_ids, is_open=True, **near), limit=10
            ),
            fixed=public_cases_search(
                search=PublicSearch(
                    council_ids=council_ids, is_open=False, updated_after=since, **near
                ),
                limit=10,
            ),
        )
    # A ward of 10,000 reports: the (council, area, updated_at) index gives the latest ten
    # without sorting them all (issue 17's figure); the listing then reads those ten.
    in_ward = Case.objects.filter(
        council_id=area.council_id, area_id=area.id, is_public=True, is_test=False
    ).order_by("-updated_at")
    open_refs = list(in_ward.filter(is_open=True).values_list("reference", flat=True)[:10])
    fixed_refs = list(
        in_ward.filter(is_open=False, updated_at__gt=since).values_list("reference", flat=True)[:10]
    )
    # One listing for both (each listing also reads the services and councils they name).
    both = _by_reference(council_ids, open_refs + fixed_refs)
    rows = {row["reference"]: row for row in both.rows}

    def part(references: list[str]) -> PublicListing:
        return replace(both, rows=[rows[r] for r in references if r in rows])

    return NearbyReports(open=part(open_refs), fixed=part(fixed_refs))


def _by_reference(council_ids: frozenset[int], references: list[str]) -> PublicListing:
    if not references:
        return PublicListing(
            rows=[], services={}, versions={}, councils={}, duplicates_of={}, media={}
        )
    return public_cases_search(
        search=PublicSearch(council_ids=council_ids, references=tuple(references)),
        limit=len(references),
    )


def thread_get(*, thread_id: int) -> Thread:
    thread = (
        Thread.objects.select_related("council", "area", "street", "case")
        .annotate(opening_visibility=_OPENING_VISIBILITY)
        .filter(pk=thread_id)
        .first()
    )
    if thread is None:
        raise NotFound("No such thread")
    return thread


def thread_posts(*, thread: Thread, user_id: int | None, principal: Principal) -> list[Post]:
    """What this reader may see: visible posts, their own held ones, and for moderators
    every post (marked with its state)."""
    qs = thread.posts.all()
    if not policies.can_moderate(principal, thread.council_id):
        mine = Q(author_id=user_id, visibility=Visibility.HELD) if user_id else Q(pk__in=[])
        qs = qs.filter(Q(visibility__in=[Visibility.VISIBLE, Visibility.DELETED]) | mine)
    return list(qs.order_by("created_at", "id"))


def post_get(*, post_id: int) -> Post:
    post = Post.objects.select_related("thread", "thread__council").filter(pk=post_id).first()
    if post is None:
        raise NotFound("No such post")
    return post


@dataclass(frozen=True)
class CaseStatus:
    reference: str
    state: str
    is_open: bool


def case_status(*, thread: Thread, language: str | None) -> CaseStatus | None:
    """The status of the case made from a thread, as the public sees it now."""
    if thread.case_id is None:
        return None
    case = thread.case
    if case is None or not case.is_public:
        return None
    workflow = workflow_for_version(case.service_version, language=language)
    return CaseStatus(
        reference=case.reference, state=workflow.state(case.state).name, is_open=case.is_open
    )


def rules_of(*, council: Council) -> list[Rule]:
    return list(Rule.objects.filter(council=council))


@dataclass(frozen=True)
class LogRow:
    month: dt.date
    rule: Rule
    action: str
    automated: bool
    count: int
    reversed: int


def moderation_log(*, council: Council) -> list[LogRow]:
    """Decisions per month, rule and action, and how many appeals reversed: counts only,
    no person, post or words."""
    rules = {r.id: r for r in rules_of(council=council)}
    rows = (
        Decision.objects.filter(council=council)
        .annotate(month=TruncMonth("decided_at"))
        .values("month", "rule_id", "action", "automated")
        .annotate(
            count=Count("id"),
            reversed=Count("id", filter=Q(appeal__outcome=Appeal.Outcome.REVERSED)),
        )
        .order_by("-month", "rule_id", "action")
    )
    return [
        LogRow(
            month=row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"],
            rule=rules[row["rule_id"]],
            action=row["action"],
            automated=row["automated"],
            count=row["count"],
            reversed=row["reversed"],
        )
        for row in rows
        if row["rule_id"] in rules
    ]


def decisions_about(*, user_id: int) -> list[Decision]:
    """Decisions about a person's posts (or them), newest first, with any appeal."""
    return list(
        Decision.objects.filter(subject_id=user_id)
        .select_related("rule", "post", "thread", "council", "appeal")
        .order_by("-decided_at", "-id")[:100]
    )


def decision_for_subject(*, decision_id: int, user_id: int) -> Decision:
    decision = (
        Decision.objects.select_related("rule", "post", "thread", "council")
        .filter(pk=decision_id, subject_id=user_id)
        .first()
    )
    if decision is None:
        raise NotFound("No such decision")
    return decision


def posts_of(*, user_id: int) -> list[Post]:
    return list(
        Post.objects.filter(author_id=user_id)
        .exclude(visibility=Visibility.DELETED)
        .select_related("thread")
        .order_by("-created_at")[:100]
    )


# --- staff ---


def threads_for_staff(*, council_id: int) -> list[Thread]:
    return list(
        Thread.objects.filter(council_id=council_id)
        .select_related("area", "street")
        .order_by("-last_post_at", "-id")[:100]
    )


def thread_for_staff(*, thread_id: int, council_id: int) -> Thread:
    thread = (
        Thread.objects.select_related("council", "area", "street", "case")
        .filter(pk=thread_id, council_id=council_id)
        .first()
    )
    if thread is None:
        raise NotFound("No such thread")
    return thread


def post_for_staff(*, post_id: int, council_id: int) -> Post:
    post = (
        Post.objects.select_related("thread", "thread__council", "author")
        .filter(pk=post_id, thread__council_id=council_id)
        .first()
    )
    if post is None:
        raise NotFound("No such post")
    return post


def held_posts(*, council_id: int) -> list[Post]:
    return list(
        Post.objects.filter(thread__council_id=council_id, visibility=Visibility.HELD)
        .select_related("thread")
        .order_by("created_at")[:100]
    )


def open_reports(*, council_id: int) -> list[PostReport]:
    return list(
        PostReport.objects.filter(post__thread__council_id=council_id, handled_at__isnull=True)
        .select_related("post", "post__thread", "rule")
        .order_by("created_at")[:100]
    )


def pending_appeals(*, council_id: int) -> list[Appeal]:
    return list(
        Appeal.objects.filter(decision__council_id=council_id, outcome=Appeal.Outcome.PENDING)
        .select_related("decision", "decision__rule", "decision__post")
        .order_by("created_at")[:100]
    )


def appeal_for_staff(*, appeal_id: int, council_id: int) -> Appeal:
    appeal = (
        Appeal.objects.select_related("decision", "decision__rule", "decision__post")
        .filter(pk=appeal_id, decision__council_id=council_id)
        .first()
    )
    if appeal is None:
        raise NotFound("No such appeal")
    return appeal


def decisions_on_thread(*, thread: Thread) -> list[Decision]:
    return list(
        Decision.objects.filter(thread=thread)
        .select_related("rule", "appeal")
        .order_by("-decided_at", "-id")
    )


def report_suggestions(*, thread: Thread, posts: list[Post]) -> dict[int, object]:
    """post id -> the council's public report service a resident's post seems to describe."""
    from townsquare.catalogue.selectors import services_for_council
    from townsquare.neighbourhoods.rules import reportable_service

    services = services_for_council(council=thread.council, kind="report", include_private=False)
    by_code = {s.code: s for s in services}
    phrases = [
        (
            s.code,
            [
                s.name,
                *(s.current_version.document.get("keywords", []) if s.current_version else []),
            ],
        )
        for s in services
    ]
    found = {}
    for post in posts:
        if post.officer_role or post.visibility not in (Visibility.VISIBLE, Visibility.HELD):
            continue
        code = reportable_service(post.body, phrases)
        if code:
            found[post.id] = by_code[code]
    return found
