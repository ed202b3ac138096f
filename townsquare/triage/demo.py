"""Demo data for triage (`townsquare demo`): in each demo council, a report whose description
holds a phone number (hidden in the public copy) and, a few metres away, a second report of
the same problem, so the staff case page shows a likely duplicate with its reasons."""

from __future__ import annotations

from collections.abc import Callable

from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import Reporter
from townsquare.councils.models import Council
from townsquare.geo.points import Point
from townsquare.triage.services import case_create_hiding_personal_data

FIRST = (
    "Deep pothole in the road outside the primary school gates, cars swerve round it. "
    "Call me on 07700 900461 if you need more detail."
)
SECOND = "Pothole by the school gates is getting deeper, a cyclist nearly came off"


def triage_demo_ensure(*, council: Council, say: Callable[[str], None]) -> None:
    if Case.objects.filter(council=council, description=SECOND).exists():
        return
    anchor = (
        Case.objects.filter(council=council, kind="report", lat__isnull=False, is_open=True)
        .order_by("id")
        .values_list("lat", "lng")
        .first()
    )
    if anchor is None:
        return
    lat, lng = anchor
    for text, offset, who in ((FIRST, 0.0, "Alex Resident"), (SECOND, 0.00012, "Sam Resident")):
        case, hidden = case_create_hiding_personal_data(
            council=council,
            service_code="pothole",
            actor=Principal.anonymous(),
            point=Point(lat + offset, lng),
            values={"size": "30_to_60cm", "depth": "over_10cm"},
            description=text,
            reporter=Reporter(email=f"{who.split()[0].lower()}@example.org", name=who),
        )
        if hidden:
            say(f"Triage demo: {case.reference} has its phone number hidden from the public\n")
    say(f"Triage demo: {case.reference} shows a likely duplicate on its staff page\n")
