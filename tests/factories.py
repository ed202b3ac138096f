"""Small builders for tests: councils with square boundaries, a compact template, principals."""

from __future__ import annotations

import copy
from typing import Any

from townsquare.accounts.models import User
from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.accounts.services import membership_set, user_ensure
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.councils.models import Council
from townsquare.councils.services import area_upsert, council_upsert, team_ensure


def square(min_lng: float, min_lat: float, max_lng: float, max_lat: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [min_lng, min_lat],
                [max_lng, min_lat],
                [max_lng, max_lat],
                [min_lng, max_lat],
                [min_lng, min_lat],
            ]
        ],
    }


REPORT_TEMPLATE: dict[str, Any] = {
    "code": "pothole",
    "name": "Pothole",
    "group": "Roads",
    "keywords": ["road"],
    "description": "A hole in the road.",
    "kind": "report",
    "open311": {"type": "realtime"},
    "fields": [
        {
            "code": "depth",
            "label": "How deep?",
            "datatype": "singlevaluelist",
            "required": True,
            "order": 1,
            "values": [{"key": "shallow", "name": "Shallow"}, {"key": "deep", "name": "Deep"}],
        },
        {
            "code": "width_cm",
            "label": "Width in cm",
            "datatype": "number",
            "order": 2,
            "min": 1,
            "max": 1000,
        },
        {
            "code": "hazards",
            "label": "Hazards",
            "datatype": "multivaluelist",
            "order": 3,
            "values": [{"key": "cyclists", "name": "Cyclists"}, {"key": "cars", "name": "Cars"}],
        },
        {"code": "seen_at", "label": "When did you see it?", "datatype": "datetime", "order": 4},
    ],
    "workflow": {
        "initial": "submitted",
        "states": [
            {"code": "submitted", "name": "Submitted", "open311": "open", "fms": "open"},
            {"code": "in_progress", "name": "In progress", "open311": "open", "fms": "in_progress"},
            {"code": "fixed", "name": "Fixed", "open311": "closed", "fms": "fixed"},
            {"code": "duplicate", "name": "Duplicate", "open311": "closed", "fms": "duplicate"},
            {
                "code": "rejected",
                "name": "Not ours",
                "open311": "closed",
                "fms": "not_councils_responsibility",
            },
        ],
        "transitions": [
            {"from": "submitted", "to": "in_progress", "roles": ["agent"]},
            {"from": ["submitted", "in_progress"], "to": "fixed", "roles": ["agent"]},
            {"from": "submitted", "to": "rejected", "roles": ["supervisor"]},
            {"from": "submitted", "to": "duplicate", "roles": ["supervisor"]},
            {"from": "fixed", "to": "in_progress", "roles": ["supervisor"]},
        ],
    },
    "sla": {"first_response_hours": 24, "close_hours": 120},
    "routing": {"team": "highways"},
    "privacy": "public",
    "retention": {"days_after_close": 365},
}


APPLICATION_TEMPLATE: dict[str, Any] = {
    **copy.deepcopy(REPORT_TEMPLATE),
    "code": "school_transport",
    "name": "School transport",
    "group": "Education",
    "kind": "application",
    "open311": {"type": "batch"},
    "privacy": "private",
    "fields": [
        {
            "code": "child_name",
            "label": "Child's name",
            "datatype": "string",
            "required": True,
            "order": 1,
        },
        {
            "code": "sen",
            "label": "Special needs?",
            "datatype": "singlevaluelist",
            "order": 2,
            "required": True,
            "values": [{"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"}],
        },
        {
            "code": "sen_detail",
            "label": "Describe",
            "datatype": "text",
            "order": 3,
            "required": True,
            "show_if": {"field": "sen", "equals": "yes"},
        },
    ],
    "routing": {"team": "education"},
}


def shipped_workflow_template(code: str = "school_transport") -> dict:
    """The test application template with a shipped template's workflow (and its Welsh state
    names): the questions stay the tests' own."""
    from django.conf import settings

    from townsquare.catalogue.documents import load_template_file

    shipped = load_template_file(settings.SERVICE_TEMPLATE_LIBRARY / f"{code}.yaml")
    document = copy.deepcopy(APPLICATION_TEMPLATE)
    document["workflow"] = shipped["workflow"]
    document["translations"] = {
        "cy": {"name": "Cludiant ysgol", "states": shipped["translations"]["cy"]["states"]}
    }
    return document


def template(**overrides: Any) -> dict[str, Any]:
    doc = copy.deepcopy(REPORT_TEMPLATE)
    doc.update(overrides)
    return doc


def make_council(
    slug: str = "testshire",
    *,
    prefix: str = "TST",
    bounds: tuple[float, float, float, float] = (-2.0, 51.0, -1.0, 52.0),
) -> Council:
    council = council_upsert(
        slug=slug,
        name=f"{slug.title()} Council",
        jurisdiction_id=f"{slug}.gov.uk",
        reference_prefix=prefix,
        boundary=square(*bounds),
    )
    min_lng, min_lat, max_lng, max_lat = bounds
    mid = (min_lng + max_lng) / 2
    area_upsert(
        council=council,
        code=f"{slug}-west",
        name="West ward",
        boundary=square(min_lng, min_lat, mid, max_lat),
    )
    area_upsert(
        council=council,
        code=f"{slug}-east",
        name="East ward",
        boundary=square(mid, min_lat, max_lng, max_lat),
    )
    for code in ("highways", "education"):
        team_ensure(council=council, code=code, name=code.title())
    actor = Actor.system("tests")
    template_publish(council=council, document=copy.deepcopy(REPORT_TEMPLATE), actor=actor)
    template_publish(council=council, document=copy.deepcopy(APPLICATION_TEMPLATE), actor=actor)
    return council


def make_staff(council: Council, role: str, email: str | None = None) -> tuple[User, Principal]:
    user = user_ensure(
        email=email or f"{role}@{council.slug}.test",
        full_name=f"{role} person",
        password="a-long-test-password",
    )
    membership_set(user=user, council_id=council.id, role=role)
    return user, principal_for_user(user)


# Staff made by make_staff_signed_in share this authenticator key; tests compute codes from it.
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STAFF_PASSWORD = "a-long-test-password"


def make_staff_signed_in(
    council: Council, role: str, email: str | None = None
) -> tuple[User, Principal]:
    """make_staff, plus a confirmed authenticator (STAFF_TOTP_SECRET) so they can sign in."""
    from townsquare.accounts.signin import second_factor_set

    user, principal = make_staff(council, role, email)
    second_factor_set(user=user, secret=STAFF_TOTP_SECRET)
    return user, principal
