"""Neighbourhood discussion for `make run`'s demo: each council's rules, and in its busiest
ward a thread a moderator let through, an officer's reply, a thread waiting for review and a
notice. Loading twice changes nothing (a council with threads is left alone)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from townsquare.accounts.selectors import principal_for_user, user_by_email
from townsquare.accounts.services import user_ensure
from townsquare.cases.models import Case
from townsquare.core import clock
from townsquare.councils.models import Area, Council
from townsquare.neighbourhoods import services
from townsquare.neighbourhoods.models import Action, Thread

# One pair per council: the same words from one person twice would be refused as a duplicate.
DEMO_NEIGHBOURS = ("alex.{slug}@example.org", "jo.{slug}@example.org")


def _busiest_ward(council: Council) -> Area | None:
    counts = Counter(
        Case.objects.filter(council=council, area__isnull=False).values_list("area_id", flat=True)[
            :5000
        ]
    )
    area_id = counts.most_common(1)[0][0] if counts else None
    wards = Area.objects.filter(council=council).defer("boundary")
    return (wards.filter(pk=area_id).first() if area_id else None) or wards.order_by("name").first()


def demo_neighbourhoods_ensure(*, councils: list[Council], say=lambda _msg: None) -> int:
    made = 0
    for council in councils:
        rules = {r.code: r for r in services.rules_ensure(council=council)}
        if Thread.objects.filter(council=council).exists():
            continue
        ward = _busiest_ward(council)
        officer = user_by_email(email=f"agent@{council.slug}.example")
        if ward is None or officer is None:
            continue
        as_officer = principal_for_user(officer)
        alex, jo = (user_ensure(email=e.format(slug=council.slug)) for e in DEMO_NEIGHBOURS)
        thread = services.thread_start(
            user=alex,
            principal=principal_for_user(alex),
            area=ward,
            street=None,
            title="Overflowing bins by the shops",
            body="The litter bins outside the shops have been **overflowing all week**. "
            "Does anyone know when they are emptied?",
            display_name="Alex",
        )
        services.moderate(
            principal=as_officer,
            action=Action.RELEASE,
            rule_id=rules["new-members"].id,
            explanation="Checked by a moderator: fine to show.",
            post=thread.posts.get(),
        )
        services.post_add(
            thread=thread,
            user=officer,
            principal=as_officer,
            body="Thanks Alex. The street cleansing team empties these on Tuesdays; "
            "we will add an extra collection this week.",
            display_name=officer.full_name or "Council officer",
        )
        services.thread_start(
            user=jo,
            principal=principal_for_user(jo),
            area=ward,
            street=None,
            title="Street party in the summer?",
            body="Would anyone like to organise a street party in July?",
            display_name="Jo",
        )
        today = clock.now().date()
        services.notice_post(
            principal=as_officer,
            area=ward,
            title="Resurfacing works",
            body="The main road through the ward will be resurfaced overnight. "
            "Expect diversions between 8pm and 6am.",
            starts_on=today + dt.timedelta(days=7),
            ends_on=today + dt.timedelta(days=14),
        )
        made += 1
        say(f"Neighbourhood discussion ready: {council.name}, {ward.name}\n")
    return made
