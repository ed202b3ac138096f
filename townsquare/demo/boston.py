"""A fourth demo council holding a real year: every City of Boston 311 case of 2015 whose type
maps to one of our services, imported with the shipped Boston mapping, so dashboards, the
performance page and anomaly alerts show real figures, not generated ones.

The raw files are read from settings.SHARED_DATA_DIR when they are there. Otherwise the demo
uses the compact extract shipped in demo/data (scripts/derive_boston_year.py: the same rows of
the types the mapping imports, only the columns it reads; ODC PDDL), so a fresh checkout shows
the same year.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

from townsquare.accounts.services import membership_set, user_ensure
from townsquare.accounts.signin import second_factor_set
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.councils.models import Council
from townsquare.councils.services import area_upsert, council_upsert, team_ensure
from townsquare.insights.figures import figures_rebuild
from townsquare.opendata.imports import cases_import, mapping_load

BOSTON_SLUG = "boston"


def _geometry(feature: dict) -> dict:
    return mapping(shape(feature["geometry"]).buffer(0))


SHIPPED = Path(__file__).resolve().parent / "data"


def boston_data() -> tuple[list[Path], Path]:
    """The 2015 case files and the neighbourhoods file: the shared data's raw files when they
    are here, else the extract shipped with the demo."""
    shared = Path(settings.SHARED_DATA_DIR)
    folder = shared / "boston311_2015"
    neighbourhoods_file = shared / "us_boundaries" / "boston.geojson"
    if folder.is_dir() and neighbourhoods_file.exists():
        return sorted(folder.glob("*.csv")), neighbourhoods_file
    return [SHIPPED / "boston311_2015.csv.gz"], SHIPPED / "boston_neighbourhoods.geojson"


def boston_demo_load(
    *, library: list[dict], password: str, totp_secret: str, roles, say: Callable[[str], None]
) -> Council:
    paths, _ = boston_data()
    council = boston_council_ensure(
        library=library, password=password, totp_secret=totp_secret, roles=roles
    )
    result = cases_import(council=council, mapping=mapping_load("boston"), paths=paths)
    if result.imported:
        # Count the new year into the dashboards now, not on the first dashboard view.
        figures_rebuild()
    say(
        f"Council ready: {council.name}: {result.imported:,} cases of 2015 imported "
        f"({result.already_imported:,} before), {len(result.rejected):,} rows rejected\n"
    )
    return council


def boston_council_ensure(
    *, library: list[dict], password: str, totp_secret: str, roles
) -> Council:
    """The council, its neighbourhoods, teams, services and staff (no cases)."""
    _, neighbourhoods_file = boston_data()
    neighbourhoods = json.loads(neighbourhoods_file.read_text(encoding="utf-8"))["features"]
    boundary = mapping(
        unary_union([shape(f["geometry"]).buffer(0) for f in neighbourhoods]).simplify(0.0002)
    )
    council = council_upsert(
        slug=BOSTON_SLUG,
        name="City of Boston (2015 open data)",
        jurisdiction_id="boston.gov",
        reference_prefix="BOS",
        boundary=boundary,
        branding={"colour": "#1871bd"},
        settings={
            "population": 655_000,
            "timezone": "America/New_York",
            # US drama numbers (555-01xx), never a real line.
            "public_pages": {
                "contact_email": "contact@boston.example",
                "contact_phone": "+1 617 555 0100",
                "emergency_phone": "+1 617 555 0199",
                "contact_address": "City Hall\n1 City Hall Square\nBoston, MA 02201",
                "accessibility_contact": "accessibility@boston.example",
                "accessibility_tested_on": "2026-11-30",
                "accessibility_compliance": "partial",
                "dpo_contact": "privacy@boston.example",
                "phase": "beta",
                "feedback_url": "mailto:feedback@boston.example",
            },
        },
    )
    for feature in neighbourhoods:
        name = feature["properties"]["name"]
        area_upsert(
            council=council,
            code=str(feature["properties"]["cartodb_id"]),
            name=name,
            boundary=_geometry(feature),
            kind="neighbourhood",
        )
    for team_code in sorted({doc["routing"]["team"] for doc in library}):
        team_ensure(council=council, code=team_code, name=team_code.replace("_", " ").capitalize())
    actor = Actor.system("Demo loader")
    for document in library:
        template_publish(council=council, document=document, actor=actor)
    for handle, role in roles:
        user = user_ensure(
            email=f"{handle}@{BOSTON_SLUG}.example",
            full_name=f"Boston {role.label}",
            password=password,
        )
        membership_set(user=user, council_id=council.id, role=role)
        second_factor_set(user=user, secret=totp_secret)
    return council
