"""What a council admin changes about their council in the staff web: teams, branding,
boundary and areas. Each change is checked by policy and recorded in the audit trail."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import transaction
from shapely.geometry import shape

from townsquare.accounts import policies
from townsquare.accounts.principal import Principal
from townsquare.core.errors import InvalidInput, PermissionDenied
from townsquare.core.eventlog import append_event
from townsquare.councils.events import AreasImported, BrandingSet, CouncilSaved, TeamSaved
from townsquare.councils.models import Area, Council, Team
from townsquare.councils.selectors import boundary_indexes_invalidate
from townsquare.geo.boundaries import parse_multipolygon

_TEAM_CODE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_AREAS = 500


def _require(actor: Principal, council: Council) -> None:
    if not policies.can_administer_council(actor, council.id):
        raise PermissionDenied("Only council admins can change the council's settings")


def team_save(*, council: Council, code: str, name: str, actor: Principal) -> Team:
    """Add a team, or rename one (its code stays: templates route to it)."""
    _require(actor, council)
    code, name = (code or "").strip(), (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not _TEAM_CODE.match(code):
        errors["code"] = ["Enter a code of lower-case letters, digits and _ (for example parks)"]
    if not name or len(name) > 200:
        errors["name"] = ["Enter a name of 1 to 200 characters"]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        team, created = Team.objects.select_for_update().get_or_create(
            council=council, code=code, defaults={"name": name}
        )
        if not created and team.name == name:
            return team
        if not created:
            team.name = name
            team.save(update_fields=["name"])
        append_event(
            TeamSaved(code=code, name=name),
            council_id=council.id,
            stream="team",
            stream_id=team.id,
            actor=actor.as_actor(),
        )
    boundary_indexes_invalidate()
    return team


def branding_set(*, council: Council, colour: str, website: str, actor: Principal) -> Council:
    _require(actor, council)
    errors: dict[str, list[str]] = {}
    colour = (colour or "").strip()
    if not _COLOUR.match(colour):
        errors["colour"] = ["Enter a colour as # and six hexadecimal digits, like #1d70b8"]
    website = (website or "").strip()
    if website and (len(website) > 300 or not re.match(r"^https://[^\s/]+\.[^\s]+$", website)):
        errors["website"] = ["Enter the council's website address, starting https://"]
    if errors:
        raise InvalidInput(errors)
    branding = {**(council.branding or {}), "colour": colour.lower()}
    if website:
        branding["website"] = website
    else:
        branding.pop("website", None)
    with transaction.atomic():
        Council.objects.filter(pk=council.pk).update(branding=branding)
        append_event(
            BrandingSet(branding=branding),
            council_id=council.id,
            stream="council",
            stream_id=council.id,
            actor=actor.as_actor(),
        )
    boundary_indexes_invalidate()
    council.branding = branding
    return council


def _load_json(raw: bytes | str, field: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput({field: [f"The file is not GeoJSON: {str(exc)[:120]}"]}) from None


def boundary_set(*, council: Council, geojson: bytes | str, actor: Principal) -> Council:
    """Replace the council's boundary (which decides which reports come to it)."""
    _require(actor, council)
    try:
        geometry = parse_multipolygon(_load_json(geojson, "boundary"))
    except InvalidInput as exc:
        if "boundary" in exc.errors:
            raise
        raise InvalidInput({"boundary": [exc.message]}) from None
    min_lng, min_lat, max_lng, max_lat = shape(geometry).bounds
    with transaction.atomic():
        Council.objects.filter(pk=council.pk).update(
            boundary=geometry, min_lat=min_lat, min_lng=min_lng, max_lat=max_lat, max_lng=max_lng
        )
        append_event(
            CouncilSaved(slug=council.slug, name=council.name),
            council_id=council.id,
            stream="council",
            stream_id=council.id,
            actor=actor.as_actor(),
        )
    boundary_indexes_invalidate()
    return Council.objects.get(pk=council.pk)


def areas_import(
    *,
    council: Council,
    geojson: bytes | str,
    actor: Principal,
    code_property: str = "code",
    name_property: str = "name",
) -> int:
    """Add or update the council's areas (wards) from a GeoJSON FeatureCollection whose
    features carry a code and a name. All or nothing: any bad feature refuses the file, and
    every problem is listed by feature."""
    _require(actor, council)
    data = _load_json(geojson, "areas")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput({"areas": ["The file must be a GeoJSON FeatureCollection"]})
    features = data.get("features") or []
    if not features:
        raise InvalidInput({"areas": ["The file has no features"]})
    if len(features) > MAX_AREAS:
        raise InvalidInput({"areas": [f"At most {MAX_AREAS} areas at a time"]})
    problems: list[str] = []
    parsed = []
    seen: set[str] = set()
    # The council given may come from the per-process registry, which leaves boundaries out.
    boundary = Council.objects.values_list("boundary", flat=True).get(pk=council.pk)
    council_shape = shape(boundary) if boundary else None
    for i, feature in enumerate(features, start=1):
        props = (feature or {}).get("properties") or {} if isinstance(feature, dict) else {}
        code = str(props.get(code_property, "") or "").strip()[:20]
        name = str(props.get(name_property, "") or "").strip()[:200]
        where = f"Feature {i}" + (f" ({name})" if name else "")
        if not code:
            problems.append(f"{where}: no “{code_property}” property")
        elif code in seen:
            problems.append(f"{where}: code {code!r} appears twice")
        seen.add(code)
        if not name:
            problems.append(f"{where}: no “{name_property}” property")
        try:
            geometry = parse_multipolygon(feature)
        except InvalidInput as exc:
            problems.append(f"{where}: {exc.message}")
            continue
        if council_shape is not None and not council_shape.buffer(0.01).intersects(shape(geometry)):
            problems.append(f"{where}: it lies outside {council.name}")
        parsed.append((code, name, geometry))
    if problems:
        raise InvalidInput({"areas": problems[:50]})
    with transaction.atomic():
        for code, name, geometry in parsed:
            Area.objects.update_or_create(
                council=council, code=code, defaults={"name": name, "boundary": geometry}
            )
        append_event(
            AreasImported(count=len(parsed)),
            council_id=council.id,
            stream="council",
            stream_id=council.id,
            actor=actor.as_actor(),
        )
    boundary_indexes_invalidate()
    return len(parsed)
