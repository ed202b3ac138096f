"""The demonstration deployment: three real councils, the template library, staff, and cases.

Loading twice changes nothing: councils, teams, templates and users are upserts, and cases are
generated only for a council that has none yet.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from townsquare.accounts.models import Role
from townsquare.accounts.principal import Principal
from townsquare.accounts.services import membership_set, user_ensure
from townsquare.accounts.signin import second_factor_set
from townsquare.appointments.demo import demo_clinic_ensure
from townsquare.cases.bulk import cases_bulk_create
from townsquare.cases.selectors import council_has_cases
from townsquare.catalogue.documents import library_files, load_template_file
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.councils.models import Council
from townsquare.councils.selectors import gazetteer_recorded, places_count
from townsquare.councils.services import (
    area_upsert,
    council_upsert,
    places_import_csv,
    team_ensure,
)
from townsquare.demo.boston import boston_demo_load
from townsquare.demo.consultations import demo_consultations_ensure
from townsquare.demo.generator import DATA_DIR, generate_case_specs
from townsquare.demo.wiki import demo_wiki_ensure
from townsquare.messaging.demo import demo_messaging_ensure
from townsquare.neighbourhoods.demo import demo_neighbourhoods_ensure
from townsquare.payments.services import pay_account_set
from townsquare.triage.demo import triage_demo_ensure

DEMO_PASSWORD = "townsquare-demo"  # noqa: S105 - printed for people trying the demo
# Every demo staff account has this authenticator key (published in the README, like the
# password): add it to an authenticator app, or run `townsquare staff totp-code EMAIL`.
DEMO_TOTP_SECRET = "TOWNSQUAREDEMOSTAFFTOTPSECRET234"  # noqa: S105


@dataclass(frozen=True)
class DemoCouncil:
    slug: str
    name: str
    jurisdiction_id: str
    prefix: str
    colour: str
    population: int
    # Ofcom's numbers reserved for drama (never a real line), so nobody phones a real council
    # from the demo.
    phone: str
    emergency_phone: str


DEMO_COUNCILS = (
    DemoCouncil(
        "bristol",
        "Bristol City Council",
        "bristol.gov.uk",
        "BRS",
        "#b5123e",
        472_000,
        "0117 496 0000",
        "0117 496 0999",
    ),
    DemoCouncil(
        "leeds",
        "Leeds City Council",
        "leeds.gov.uk",
        "LDS",
        "#00623b",
        812_000,
        "0113 496 0000",
        "0113 496 0999",
    ),
    DemoCouncil(
        "gloucester",
        "Gloucester City Council",
        "gloucester.gov.uk",
        "GLO",
        "#5b2c6f",
        132_000,
        "01632 960000",
        "01632 960999",
    ),
)
ROLES = (("agent", Role.AGENT), ("supervisor", Role.SUPERVISOR), ("admin", Role.COUNCIL_ADMIN))
PLATFORM_ADMIN_EMAIL = "platform@townsquare.example"


def _read_geojson(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# The notices the demo gazetteers' licences ask for (demo/data/gazetteer/LICENCE.md).
_POSTCODES_NOTICE = (
    "Postcodes: Source: Office for National Statistics licensed under the Open Government "
    "Licence v.3.0. Contains OS data © Crown copyright and database right 2025. Contains "
    "Royal Mail data © Royal Mail copyright and database right 2025. Contains GeoPlace data "
    "© Local Government Information House Limited copyright and database right 2025."
)
_WARDS_NOTICE = (
    "Wards: GeoJSON and TopoJSON UK Boundary Data by Martin Chorley, CC BY 4.0. Contains "
    "Ordnance Survey and Office for National Statistics data © Crown copyright and database "
    "right."
)
GAZETTEER_ATTRIBUTION = {
    "leeds": "Streets and places: Contains OS data © Crown copyright and database right 2019 "
    f"(OS Open Names, Open Government Licence v3.0). {_POSTCODES_NOTICE} "
    f"{_WARDS_NOTICE}",
}


def gazetteer_file(slug: str) -> Path | None:
    """The council's gazetteer CSV: from the shared data when it is beside the checkout, else
    the same file shipped compressed with the demo; None for a council without one."""
    shared = Path(settings.SHARED_DATA_DIR) / "uk_gazetteer" / f"{slug}.csv"
    if shared.exists():
        return shared
    shipped = DATA_DIR / "gazetteer" / f"{slug}.csv.gz"
    return shipped if shipped.exists() else None


def _gazetteer_load(council: Council, slug: str, *, actor: Actor, say) -> None:
    path = gazetteer_file(slug)
    if path is None:
        return
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            text = handle.read()
    else:
        text = path.read_text(encoding="utf-8")
    count = places_import_csv(
        council=council,
        text=text,
        source=path.name,
        actor=actor,
        attribution=GAZETTEER_ATTRIBUTION.get(slug, f"{_POSTCODES_NOTICE} {_WARDS_NOTICE}"),
    )
    say(f"Gazetteer: {count:,} streets, places and postcodes\n")


def _services_changed_since_loading(council: Council, actor: Actor) -> set[str]:
    """Codes of the council's services whose current version someone other than the loader
    published (a consultation's outcome, staff in the builder): loading again keeps their
    change rather than publishing the library's document over it."""
    return {
        code
        for code, label in ServiceTemplate.objects.filter(council=council)
        .exclude(current_version__created_by_label=actor.label)
        .values_list("code", "current_version__created_by_label")
        if label
    }


def demo_public_pages(
    *, slug: str, name: str, phone: str, emergency_phone: str, address: str
) -> dict[str, str]:
    """What a demo council's contact page, accessibility statement, privacy notices and phase
    banner say (councils.public_pages); example addresses, never a real council's."""
    return {
        "contact_email": f"contact@{slug}.example",
        "contact_phone": phone,
        "contact_address": address,
        "emergency_phone": emergency_phone,
        "accessibility_contact": f"accessibility@{slug}.example",
        "accessibility_tested_on": DEMO_ACCESSIBILITY_TESTED_ON,
        "accessibility_compliance": "partial",
        "dpo_contact": f"dpo@{slug}.example",
        "processors": (
            "GOV.UK Notify (Government Digital Service), which sends our emails and text "
            "messages\n"
            f"{name}'s hosting provider, which runs this website's servers in the UK"
        ),
        "phase": "beta",
        "feedback_url": f"mailto:feedback@{slug}.example",
    }


DEMO_ACCESSIBILITY_TESTED_ON = "2026-11-30"


def demo_logins() -> list[tuple[str, str]]:
    logins = [(PLATFORM_ADMIN_EMAIL, "platform admin")]
    for council in DEMO_COUNCILS:
        for handle, role in ROLES:
            logins.append((f"{handle}@{council.slug}.example", f"{role.label}, {council.name}"))
    for handle, role in ROLES:
        logins.append((f"{handle}@boston.example", f"{role.label}, City of Boston (2015 data)"))
    return logins


# Not secrets: the demo's stand-in Pay takes any key, and signs webhooks with this one.
DEMO_PAY_WEBHOOK_SECRET = "demo-webhook-signing-secret"  # noqa: S105


def demo_pay_api_key(slug: str) -> str:
    return f"api_test_demo_{slug}"


def demo_pay_webhooks(public_url: str) -> list[tuple[str, str, str]]:
    """(API key, webhook address, secret) for each demo council, for the stand-in Pay."""
    return [
        (
            demo_pay_api_key(demo.slug),
            f"{public_url}/payments/govuk-pay/{demo.slug}/webhook",
            DEMO_PAY_WEBHOOK_SECRET,
        )
        for demo in DEMO_COUNCILS
    ]


def demo_load(*, cases_per_council: int = 1000, stdout=None) -> dict[str, int]:
    """Load (or top up) the demo. Returns counts of what was created."""
    say = stdout.write if stdout else (lambda _msg: None)
    actor = Actor.system("Demo loader")
    library = [
        load_template_file(p) for p in library_files(Path(settings.SERVICE_TEMPLATE_LIBRARY))
    ]
    created = {"cases": 0}
    councils: list[Council] = []
    for demo in DEMO_COUNCILS:
        boundary = _read_geojson(DATA_DIR / "boundaries" / f"{demo.slug}.geojson")
        gss = boundary["features"][0]["properties"].get("gss_code", "")
        council = council_upsert(
            slug=demo.slug,
            name=demo.name,
            jurisdiction_id=demo.jurisdiction_id,
            reference_prefix=demo.prefix,
            boundary=boundary,
            gss_code=gss,
            branding={"colour": demo.colour},
            settings={
                "population": demo.population,
                "public_pages": demo_public_pages(
                    slug=demo.slug,
                    name=demo.name,
                    phone=demo.phone,
                    emergency_phone=demo.emergency_phone,
                    address=f"{demo.name}\nCouncil House\n{demo.slug.capitalize()}",
                ),
            },
        )
        wards = _read_geojson(DATA_DIR / "wards" / f"{demo.slug}.geojson")
        for feature in wards["features"]:
            props = feature["properties"]
            area_upsert(
                council=council,
                code=props["code"],
                name=props["name"],
                boundary=feature["geometry"],
            )
        # Also replaces the few hand-written streets earlier demos loaded (no record of them).
        if not places_count(council=council) or not gazetteer_recorded(council_id=council.id):
            _gazetteer_load(council, demo.slug, actor=actor, say=say)
        for team_code in sorted({doc["routing"]["team"] for doc in library}):
            team_ensure(
                council=council, code=team_code, name=team_code.replace("_", " ").capitalize()
            )
        changed = _services_changed_since_loading(council, actor)
        for document in library:
            if document["code"] not in changed:
                template_publish(council=council, document=document, actor=actor)
        # Fees go to the stand-in GOV.UK Pay that `make run` starts (townsquare pay_standin).
        pay_account_set(
            council=council,
            actor=Principal.system("Demo loader"),
            api_key=demo_pay_api_key(demo.slug),
            webhook_secret=DEMO_PAY_WEBHOOK_SECRET,
        )
        for handle, role in ROLES:
            user = user_ensure(
                email=f"{handle}@{demo.slug}.example",
                full_name=f"{demo.name.split()[0]} {role.label}",
                password=DEMO_PASSWORD,
            )
            membership_set(user=user, council_id=council.id, role=role)
            second_factor_set(user=user, secret=DEMO_TOTP_SECRET)
        councils.append(council)
        say(f"Council ready: {council.name}\n")
    platform_admin = user_ensure(
        email=PLATFORM_ADMIN_EMAIL,
        full_name="Platform admin",
        password=DEMO_PASSWORD,
        is_platform_admin=True,
    )
    second_factor_set(user=platform_admin, secret=DEMO_TOTP_SECRET)
    for council in councils:
        if council_has_cases(council_id=council.id):
            continue
        created["cases"] += cases_bulk_create(
            generate_case_specs(
                count=cases_per_council, councils=[council], seed=zlib.crc32(council.slug.encode())
            ),
            actor_label="Demo loader",
        )
    say(f"Demo cases created: {created['cases']}\n")
    for council in councils:
        triage_demo_ensure(council=council, say=say)
    demo_messaging_ensure(councils=councils, say=say)
    if councils:
        # Live queues (issue 18): today's clinic, so the desk and the boards have people.
        clinic = demo_clinic_ensure(council=councils[0])
        say(f"Live queue today: {clinic.service_point.name}, {clinic.name}\n")
    demo_neighbourhoods_ensure(councils=councils, say=say)
    demo_consultations_ensure(councils=councils, say=say)
    demo_wiki_ensure(councils=councils, say=say)
    # A real year (City of Boston 2015) for dashboards and the performance page.
    boston_demo_load(
        library=library, password=DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET, roles=ROLES, say=say
    )
    return created
