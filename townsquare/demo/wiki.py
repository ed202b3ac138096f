"""Municipedia for the demo: the commons seeded from a fictional council's pages, a Bristol
article for Leeds to find and copy, a Leeds article with Leeds' live pothole figures, and a
public Bristol article that is the pothole service's help in English and Welsh.

The commons text is the LocalGov Drupal demo content (a fictional council's test fixtures,
GPL-2.0), read from the shared data beside the checkout when it is there: seed data for the
demo only, never shipped as product content, and each article says where it came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction

from townsquare.accounts.principal import Principal
from townsquare.councils.models import Council
from townsquare.wiki.models import Space, Visibility
from townsquare.wiki.selectors import council_space
from townsquare.wiki.services import article_create, commons_ensure, council_space_ensure

SEED_NOTICE = (
    "\n\n---\n\n*Seed text for the demo: a page of the LocalGov Drupal demo site (a fictional "
    "council's test content, localgovdrupal/localgov_demo, GPL-2.0). Not Townsquare content.*\n"
)
# Bundles that read as knowledge: how-to pages and guides, not venues, events or news.
SEED_BUNDLES = {
    "localgov_services_page",
    "localgov_guides_page",
    "localgov_step_by_step_page",
    "localgov_subsites_page",
    "localgov_publication_page",
    "localgov_services_status",
}

BRISTOL_ARTICLE = """Bristol's highways team sorts every pothole report within a working day.

## What we do

1. **Triage by depth.** Holes deeper than 40mm on a road, or 20mm on a footway, are made
   safe within 24 hours.
2. **One crew per ward.** Each crew keeps to its ward, so travel time stays short.
3. **Photos first.** A report with a photo is triaged from the photo: no inspection visit.

| Depth | Road | Footway |
|---|---|---|
| Over 40mm | 24 hours | 24 hours |
| 20mm to 40mm | 28 days | 5 days |

See also [[Report a pothole: before you start]] and [[Winter gritting routes]].
"""

LEEDS_ARTICLE = """Leeds cut its median pothole repair time by moving inspections to photographs.

Our live figures, straight from Townsquare, not a pasted screenshot:

{{figures council=leeds service=pothole}}

## What changed

- Residents attach a photo; an inspector triages from the office.
- Crews are booked by ward, a week ahead.

Based on [[How Bristol triages pothole reports]].
"""

HELP_EN = """Tell us where the pothole is and how deep it looks. A photo helps us decide how
quickly to fix it.

- **Danger to life?** Phone us now instead: do not report it online.
- Holes deeper than 40mm are made safe within 24 hours.
"""
HELP_CY = """Dywedwch wrthym ble mae'r twll yn y ffordd a pha mor ddwfn yw e. Mae llun yn ein
helpu i benderfynu pa mor gyflym i'w drwsio.

- **Perygl i fywyd?** Ffoniwch ni nawr yn lle hynny: peidiwch â rhoi gwybod ar-lein.
- Caiff tyllau dyfnach na 40mm eu gwneud yn ddiogel o fewn 24 awr.
"""


def _seed_file() -> Path:
    return Path(settings.SHARED_DATA_DIR) / "council_content" / "localgov_demo_pages.jsonl"


def _commons_seed(commons: Space, principal: Principal, say: Callable[[str], None]) -> int:
    path = _seed_file()
    if commons.articles.exists() or not path.exists():
        return 0
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        page = json.loads(line)
        # Real rows: summary and text may be null.
        text = (page.get("text") or "").strip()
        if page.get("bundle") not in SEED_BUNDLES or not text or not page.get("title"):
            continue
        summary = (page.get("summary") or "").strip()
        body = (f"{summary}\n\n" if summary else "") + text + SEED_NOTICE
        article_create(
            principal=principal,
            council_id=None,
            space=commons,
            title=page["title"][:200],
            body=body,
            visibility=Visibility.STAFF,
            tags=page["bundle"].removeprefix("localgov_").replace("_", "-"),
            summary="Seeded from the LocalGov Drupal demo content (GPL-2.0)",
        )
        count += 1
    say(f"Municipedia commons: {count} seed articles\n")
    return count


def demo_wiki_ensure(*, councils: list[Council], say: Callable[[str], None]) -> None:
    principal = Principal.system("Demo loader")
    commons = commons_ensure()
    # All or nothing, so a failed load is seeded afresh next time (it skips a seeded commons).
    with transaction.atomic():
        _commons_seed(commons, principal, say)
    by_slug = {c.slug: c for c in councils}
    bristol, leeds = by_slug.get("bristol"), by_slug.get("leeds")
    for council in councils:
        council_space_ensure(council=council)
    if bristol is not None:
        space = council_space(council_id=bristol.id)
        if space is not None and not space.articles.exists():
            article_create(
                principal=principal,
                council_id=bristol.id,
                space=space,
                title="How Bristol triages pothole reports",
                body=BRISTOL_ARTICLE,
                visibility=Visibility.STAFF,
                tags="highways potholes triage",
                service_codes="pothole",
                owner_name="Bristol highways team",
            )
            article_create(
                principal=principal,
                council_id=bristol.id,
                space=space,
                title="Report a pothole: before you start",
                body=HELP_EN,
                title_cy="Rhoi gwybod am dwll yn y ffordd: cyn i chi ddechrau",
                body_cy=HELP_CY,
                visibility=Visibility.PUBLIC,
                tags="highways potholes help",
                service_codes="pothole",
                owner_name="Bristol highways team",
            )
    if leeds is not None:
        space = council_space(council_id=leeds.id)
        if space is not None and not space.articles.exists():
            article_create(
                principal=principal,
                council_id=leeds.id,
                space=space,
                title="How Leeds cut pothole repair times",
                body=LEEDS_ARTICLE,
                visibility=Visibility.STAFF,
                tags="highways potholes performance",
                service_codes="pothole",
                owner_name="Leeds highways team",
            )
    say("Municipedia ready\n")
