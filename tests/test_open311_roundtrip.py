"""Replay real Open311 service requests from five cities through our GeoReport v2 server.

The INPUT is what real city servers published (tests/fixtures/open311/replay, with a README
naming each file's source): Chicago, Bloomington, New Orleans, Toronto and San Francisco. Every
request of a file is posted back in, as a client would, to a test council whose square covers
that city's real points; each accepted one is read back by its service_request_id and must
come back as sent. Then each accepted request's own timestamps are posted as `updated_datetime`
on servicerequestupdates, as a client echoing the city's data would.

The real data is messy, and the mess must end in clear errors: never a 5xx, never a case half
made. Which records must be refused, and why, is decided here from the data alone (`refusal`),
before anything is posted; the test then checks that the server refused exactly those, for
those reasons, and took all the others. Each test id summarises its file: records replayed,
accepted, refused (by reason), and update timestamps refused.

Round trip rules: description identical; address identical except that surrounding whitespace
is trimmed (San Francisco pads addresses with spaces; the server strips every form value); with
no address sent, an address is still returned (never empty); lat/long equal to 6 decimals;
status open; service_code as sent; media_url as sent. Checked in JSON and XML.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import math
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.factories import REPORT_TEMPLATE, make_council
from tests.open311_support import (
    assert_not_server_error,
    created_id,
    error_list,
    get,
    ok,
    post_form,
)
from townsquare.accounts.services import api_key_create
from townsquare.cases.models import Attachment, Case
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.core.models import Event
from townsquare.open311.importer import read_service_list
from townsquare.open311.models import ClientUpdate

FIXTURES = Path(__file__).parent / "fixtures" / "open311"
REPLAY = FIXTURES / "replay"
MAX_RECORDS = 200  # per file, sampled evenly, to keep the whole replay fast
MARGIN = 0.05  # degrees added around a city's real points for its council's square
CATCH_ALL = "general"
MAX_DESCRIPTION = 4000


# --- Reading the cities' files (no server involved) ---------------------------------------


class ReplayError(Exception):
    """A file the replay cannot read at all. Nothing from it is posted."""


@dataclass(frozen=True)
class Fields:
    """Where a city's file keeps each value the replay posts (first name found wins)."""

    id: tuple[str, ...] = ("service_request_id",)
    lat: tuple[str, ...] = ("lat",)
    long: tuple[str, ...] = ("long",)
    address: tuple[str, ...] = ("address",)
    description: tuple[str, ...] = ("description",)
    service_code: tuple[str, ...] = ("service_code",)
    media_url: tuple[str, ...] = ("media_url",)
    # The record's own timestamps, echoed as updated_datetime: the first of these present.
    times: tuple[str, ...] = ("updated_datetime", "requested_datetime")


OPEN311 = Fields()
SF_2010 = Fields(long=("lon",))
NEW_ORLEANS = Fields(
    id=("ticket_id",),
    lat=("latitude",),
    long=("longitude",),
    address=("street_address",),
    description=("issue_description",),
    service_code=("issue_type",),
    times=("ticket_closed_date_time", "ticket_created_date_time"),
)


@dataclass(frozen=True)
class Record:
    """One request as the city gave it: text exactly as in the file, None when absent/null."""

    position: int  # 1-based, in the file
    source_id: str | None
    lat: str | None
    long: str | None
    address: str | None
    description: str | None
    service_code: str | None
    media_url: str | None
    times: tuple[str, ...]  # several when the file repeats the key in one object
    duplicated_keys: tuple[str, ...]


class _Object(dict):
    """A JSON object keeping its first value per key, and every value of repeated keys."""

    repeated: dict[str, list[Any]]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    values: dict[str, list[Any]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
        obj.setdefault(key, value)
    obj.repeated = {k: v for k, v in values.items() if len(v) > 1}
    return obj


def _read_json(path: Path) -> list[tuple[dict[str, Any], dict[str, list[Any]]]]:
    try:
        # Numbers stay as the text the city wrote, so lat/long are posted exactly as given.
        data = json.loads(
            path.read_text(encoding="utf-8"),
            object_pairs_hook=_object,
            parse_float=str,
            parse_int=str,
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReplayError(
            f"{path.name} is not valid JSON ({exc}); nothing from it was replayed"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("requests"), list):
        data = data["requests"]  # San Francisco 2010 wraps its list in {"requests": [...]}
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ReplayError(
            f"{path.name} is not a list of service requests; nothing from it was replayed"
        )
    return [(item, item.repeated) for item in data]


def _read_xml(path: Path) -> list[tuple[dict[str, Any], dict[str, list[Any]]]]:
    try:
        root = ET.fromstring(path.read_bytes())  # noqa: S314 - test fixtures, not user input
    except ET.ParseError as exc:
        raise ReplayError(
            f"{path.name} is not a complete XML document ({exc}): it is "
            "truncated or damaged, so nothing from it was replayed"
        ) from None
    if root.tag != "service_requests":
        raise ReplayError(
            f"{path.name}: the root is <{root.tag}>, not <service_requests>; "
            "nothing from it was replayed"
        )
    records = []
    for element in root:
        if element.tag != "request":
            continue
        values: dict[str, list[Any]] = {}
        for child in element:
            # <x/> is an empty value, and so is xsi:nil="true": both come back as None or "".
            values.setdefault(child.tag, []).append(child.text)
        records.append(
            ({k: v[0] for k, v in values.items()}, {k: v for k, v in values.items() if len(v) > 1})
        )
    return records


def read_requests(path: Path, fields: Fields) -> list[Record]:
    """Every request of a city's file; raises ReplayError when the file cannot be read."""
    raw = _read_xml(path) if path.suffix == ".xml" else _read_json(path)

    def first(item: dict[str, Any], names: tuple[str, ...]) -> str | None:
        for name in names:
            if item.get(name) is not None:
                return str(item[name])
        return None

    records = []
    for position, (item, repeated) in enumerate(raw, start=1):
        times: tuple[str, ...] = ()
        for name in fields.times:
            given = [str(v) for v in repeated.get(name, [item.get(name)]) if v not in (None, "")]
            if given:
                times = tuple(given)
                break
        records.append(
            Record(
                position=position,
                source_id=first(item, fields.id),
                lat=first(item, fields.lat),
                long=first(item, fields.long),
                address=first(item, fields.address),
                description=first(item, fields.description),
                service_code=first(item, fields.service_code),
                media_url=first(item, fields.media_url),
                times=times,
                duplicated_keys=tuple(sorted(repeated)),
            )
        )
    return records


def sample(records: list[Record]) -> list[Record]:
    """At most MAX_RECORDS, evenly spread through the file (always the same ones)."""
    step = math.ceil(len(records) / MAX_RECORDS)
    return records[::step]


# --- What the server must do with each record, decided from the data alone -----------------


def _number(raw: str | None) -> float | None:
    try:
        value = float(raw or "")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _real_point(record: Record) -> tuple[float, float] | None:
    """The record's point if it is a usable one (on Earth, and not the 0,0 placeholder)."""
    lat, lng = _number(record.lat), _number(record.long)
    if lat is None or lng is None or abs(lat) > 90 or abs(lng) > 180 or (lat, lng) == (0, 0):
        return None
    return lat, lng


def bounds(records: list[Record]) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat) around the file's real points, with MARGIN."""
    points = [p for p in map(_real_point, records) if p is not None]
    assert points, "a city with no usable point at all"
    lats, lngs = [p[0] for p in points], [p[1] for p in points]
    return (min(lngs) - MARGIN, min(lats) - MARGIN, max(lngs) + MARGIN, max(lats) + MARGIN)


def service_code_for(record: Record, published: frozenset[str] | None) -> str:
    """The code posted: the catch-all where the city has no real list; else the city's own,
    zero-padded to three digits when numeric (San Francisco's 2010 JSON gives 24 for "024")."""
    if published is None:
        return CATCH_ALL
    code = record.service_code or ""
    if code in published:
        return code
    return code.zfill(3) if code.isdigit() else code


@dataclass(frozen=True)
class Refusal:
    reason: str  # short, used in test ids
    status: int
    mentions: tuple[str, ...]  # texts the error description must contain


def refusal(record: Record, code: str, published: frozenset[str] | None) -> Refusal | None:
    """Why the server must refuse this record, or None when it must accept it.

    Checked in the order the contract gives errors: the location, then the service, then the
    description. An empty value counts as absent, as for every Open311 parameter.
    """
    lat, lng = (record.lat or "").strip(), (record.long or "").strip()
    if not lat and not lng:
        if not (record.address or "").strip():
            return Refusal("no_location", 400, ("location is required",))
    else:
        for name, raw in (("lat", lat), ("long", lng)):
            if _number(raw) is None:
                return Refusal(f"{name}_not_a_number", 400, (name, "not a number"))
        for name, raw, limit in (("lat", lat, 90), ("long", lng, 180)):
            if abs(float(raw)) > limit:
                return Refusal(f"{name}_out_of_range", 400, (name, f"between -{limit} and {limit}"))
        if (float(lat), float(lng)) == (0, 0):
            return Refusal(
                "point_0_0", 400, ("location", "0.000000, 0.000000", "not inside any council")
            )
    if published is not None and code not in published:
        return Refusal("service_not_in_city_list", 404, (repr(code),))
    if len(record.description or "") > MAX_DESCRIPTION:
        return Refusal("description_over_4000", 400, ("description", "4000"))
    return None


def time_refusal(times: tuple[str, ...]) -> str | None:
    """Why echoing these timestamps as updated_datetime must be refused, or None."""
    if not times:
        return None
    for raw in times:
        text = raw[:-1] + "+00:00" if raw.endswith("Z") else raw
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return "not_a_datetime"
        if moment.tzinfo is None:
            return "local_time_without_zone"
        if "T" not in raw:
            return "not_w3c"
    return None


# --- The files --------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    file: str
    fields: Fields
    slug: str
    prefix: str
    service_list: str | None  # a real list in tests/fixtures/open311, else the catch-all

    @property
    def records(self) -> list[Record]:
        return sample(read_requests(REPLAY / self.file, self.fields))

    @property
    def published(self) -> frozenset[str] | None:
        if self.service_list is None:
            return None
        return frozenset(e.code for e in read_service_list(FIXTURES / self.service_list).importable)

    def plan(self) -> list[tuple[Record, str, Refusal | None]]:
        published = self.published
        return [
            (r, code, refusal(r, code, published))
            for r in self.records
            for code in [service_code_for(r, published)]
        ]


SOURCES = [
    Source("chicago_open311_requests_with_notes.json", OPEN311, "chicago", "CHI", None),
    Source("bloomington_requests.json", OPEN311, "bloomington", "BLO", "bloomington_services.json"),
    Source("new_orleans_311_sample.json", NEW_ORLEANS, "neworleans", "NOL", None),
    Source("toronto_requests_single.xml", OPEN311, "toronto", "TOR", None),
    Source("toronto_requests_multi.xml", OPEN311, "toronto", "TOR", None),
    Source("requests_many.xml", OPEN311, "toronto", "TOR", None),
    Source(
        "sf_open311_2010-11_requests_excerpt.json",
        SF_2010,
        "sanfrancisco",
        "SFO",
        "sf_open311_2010_services.xml",
    ),
    Source(
        "sf_open311_2014_requests.xml",
        OPEN311,
        "sanfrancisco",
        "SFO",
        "sf_open311_2014_services.xml",
    ),
]


def _summary(source: Source) -> str:
    plan = source.plan()
    refused = Counter(r.reason for _, _, r in plan if r is not None)
    updates = Counter(time_refusal(rec.times) for rec, _, r in plan if r is None)
    updates_refused = sum(n for why, n in updates.items() if why is not None)
    text = (
        f"{source.file}|replayed={len(plan)}|accepted={len(plan) - refused.total()}"
        f"|refused={refused.total()}"
    )
    if refused:
        text += "(" + ",".join(f"{why}={n}" for why, n in sorted(refused.items())) + ")"
    text += f"|updates_refused={updates_refused}"
    if updates_refused:
        text += (
            "("
            + ",".join(f"{why}={n}" for why, n in sorted(updates.items()) if why is not None)
            + ")"
        )
    return text


# --- Talking to the server ---------------------------------------------------------------


def catch_all_template() -> dict[str, Any]:
    document = copy.deepcopy(REPORT_TEMPLATE)
    document.update(
        code=CATCH_ALL,
        name="General request",
        description="Any problem a resident reports; used for replayed requests.",
    )
    document["fields"] = [{**f, "required": False} for f in document["fields"]]
    return document


def council_for(source: Source, records: list[Record]):
    council = make_council(source.slug, prefix=source.prefix, bounds=bounds(records))
    if source.service_list is None:
        template_publish(
            council=council, document=catch_all_template(), actor=Actor.system("open311 replay")
        )
    else:
        out = io.StringIO()
        call_command(
            "open311",
            "import-services",
            str(FIXTURES / source.service_list),
            "--council",
            council.slug,
            stdout=out,
            stderr=out,
        )
        assert ", skipped 0 for council" in out.getvalue(), out.getvalue()
    _key, raw = api_key_create(council_id=council.id, name="Replay", actor=Actor.system())
    return council, raw


def create_form(record: Record, code: str, api_key: str) -> dict[str, str]:
    form = {"api_key": api_key, "service_code": code}
    optional = {
        "lat": record.lat,
        "long": record.long,
        "address_string": record.address,
        "description": record.description,
        "media_url": record.media_url,
    }
    form.update({k: v for k, v in optional.items() if v not in (None, "")})
    return form


def footprint() -> tuple[int, int, int, int]:
    """What a refused request must leave untouched."""
    return (
        Case.objects.count(),
        Attachment.objects.count(),
        Event.objects.count(),
        ClientUpdate.objects.count(),
    )


def check_round_trip(item: dict[str, Any], form: dict[str, str], reference: str, fmt: str) -> bool:
    """Check one request read back; returns whether the address had its padding trimmed."""
    where = (fmt, reference, form)
    assert item["service_request_id"] == reference, where
    assert item["status"] == "open", where
    assert item["service_code"] == form["service_code"], where
    assert item["description"] == form.get("description", ""), where
    sent_address = form.get("address_string", "")
    if sent_address:
        assert item["address"] in (sent_address, sent_address.strip()), where
    else:
        assert item["address"].strip(), where  # never empty
    for name in ("lat", "long"):
        if name in form:
            assert f"{float(item[name]):.6f}" == f"{float(form[name]):.6f}", (name, where)
    if "media_url" in form:
        assert item["media_url"] == form["media_url"], where
    else:
        assert item.get("media_url", "") == "", where
    return item["address"] != sent_address and bool(sent_address)


# --- The replay ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("source", [pytest.param(s, id=_summary(s)) for s in SOURCES])
def test_replayed_city_requests_round_trip_and_only_malformed_ones_are_refused(client, source):
    plan = source.plan()
    council, api_key = council_for(source, [record for record, _, _ in plan])

    accepted: dict[int, tuple[Record, dict[str, str], str]] = {}
    refused: dict[int, str] = {}
    for record, code, expected in plan:
        form = create_form(record, code, api_key)
        before = footprint()
        response = post_form(client, "requests", "json", form)
        assert_not_server_error(response)
        if response.status_code == 200:
            accepted[record.position] = (record, form, created_id(response))
            continue
        # A refusal is a clear error and leaves nothing behind.
        text = " ".join(e["description"] for e in error_list(response, "json"))
        refused[record.position] = f"{response.status_code} {text}"
        assert footprint() == before, (record, text)
        assert expected is not None, f"record {record.position} was refused: {text} ({form})"
        assert response.status_code == expected.status, (record, text)
        for needle in expected.mentions:
            assert needle in text, (needle, text, record)

    must_refuse = {r.position for r, _, why in plan if why is not None}
    assert set(refused) == must_refuse, {
        "refused but valid": sorted(set(refused) - must_refuse),
        "accepted but malformed": sorted(must_refuse - set(refused)),
    }
    assert Case.objects.filter(council=council).count() == len(accepted)

    # Every accepted request reads back as it was sent, in both formats.
    trimmed = 0
    for _record, form, reference in accepted.values():
        for fmt in ("json", "xml"):
            data = ok(get(client, f"requests/{reference}", fmt), fmt)
            assert len(data) == 1, data
            trimmed += check_round_trip(data[0], form, reference, fmt)
    padded = sum(
        1
        for _, form, _ in accepted.values()
        if form.get("address_string", "") != form.get("address_string", "").strip()
    )
    assert trimmed == 2 * padded  # only surrounding whitespace is ever changed

    # The cities' own timestamps, echoed as updated_datetime: only zoned W3C ones are taken.
    for record, _form, reference in accepted.values():
        expected_why = time_refusal(record.times)
        update = {
            "api_key": api_key,
            "service_request_id": reference,
            "update_id": f"replay-{source.file}-{record.position}",
            "status": "OPEN",
            "description": "Echo of the city's own timestamp",
        }
        if record.times:
            # A key the city repeated in one object is sent repeated too.
            update["updated_datetime"] = list(record.times)
        before = footprint()
        response = post_form(client, "servicerequestupdates", "json", update)
        assert_not_server_error(response)
        if expected_why is None:
            data = ok(response, "json")
            assert data[0]["update_id"].strip(), data
            assert ClientUpdate.objects.count() == before[3] + 1
        else:
            assert response.status_code == 400, (record.times, response.content)
            text = " ".join(e["description"] for e in error_list(response, "json"))
            assert "updated_datetime" in text and "time zone" in text, text
            assert footprint() == before, (record.times, text)
        still = ok(get(client, f"requests/{reference}", "json"), "json")[0]
        assert still["status"] == "open", still


# --- What each file shows, pinned so a changed fixture or reader is noticed ----------------


def _by_file(name: str) -> Source:
    return next(s for s in SOURCES if s.file == name)


def test_the_quirks_each_city_file_shows_are_all_there():
    def reasons(name: str) -> Counter[str]:
        return Counter(r.reason for _, _, r in _by_file(name).plan() if r is not None)

    # Bloomington: 0,0 for reports placed only by address; two with neither point nor address.
    assert reasons("bloomington_requests.json") == {"point_0_0": 6, "no_location": 2}
    # New Orleans: nine tickets in projected feet (Louisiana state plane), not degrees.
    nola = _by_file("new_orleans_311_sample.json").records
    feet = [r for r in nola if _number(r.lat) and _number(r.lat) > 90]
    assert len(feet) == 9 and {(r.lat, r.long) for r in feet} == {("530187.70942", "3678691.8167")}
    assert reasons("new_orleans_311_sample.json") == {"lat_out_of_range": 9}
    assert all(time_refusal(r.times) == "local_time_without_zone" for r in nola)
    # San Francisco 2010-11: every object repeats updated_datetime and expected_datetime
    # ("null" then "true", or a local time then "null"), and one record is "null" throughout.
    sf = _by_file("sf_open311_2010-11_requests_excerpt.json").records
    assert len(sf) == 200
    assert all(r.duplicated_keys == ("expected_datetime", "updated_datetime") for r in sf)
    assert Counter(len(r.times) for r in sf) == {2: 200}
    null = [r for r in sf if r.lat == "null"]
    assert len(null) == 1 and null[0].service_code == "null" and null[0].address == "null"
    assert reasons("sf_open311_2010-11_requests_excerpt.json")["lat_not_a_number"] == 1
    # Chicago: the only file whose timestamps all carry a zone; no descriptions at all.
    chicago = _by_file("chicago_open311_requests_with_notes.json").records
    assert all(time_refusal(r.times) is None and r.description is None for r in chicago)
    # The three Toronto files hold the same two requests (one in the single file).
    toronto = {
        f: [(r.source_id, r.lat, r.long, r.address) for r in _by_file(f).records]
        for f in ("toronto_requests_single.xml", "toronto_requests_multi.xml", "requests_many.xml")
    }
    assert toronto["toronto_requests_multi.xml"] == toronto["requests_many.xml"]
    assert toronto["toronto_requests_single.xml"] == toronto["requests_many.xml"][:1]


# --- Files the replay cannot read ---------------------------------------------------------


class CountingClient:
    """The test client, counting what is posted through it."""

    def __init__(self, client: Any) -> None:
        self._client, self.posts = client, 0

    def post(self, *args: Any, **kwargs: Any) -> Any:
        self.posts += 1
        return self._client.post(*args, **kwargs)


def replay_file(client: Any, path: Path, fields: Fields, api_key: str) -> list[Any]:
    """Read the whole file first, then post each request: a damaged file posts nothing."""
    records = read_requests(path, fields)
    return [
        post_form(client, "requests", "json", create_form(record, CATCH_ALL, api_key))
        for record in records
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            "sf_open311_2010_requests.xml",
            id="sf_open311_2010_requests.xml|truncated|replayed=0|posted=0",
        )
    ],
)
def test_a_truncated_city_file_is_reported_and_nothing_is_posted(client, name):
    path = REPLAY / name
    assert path.read_bytes().endswith(b"<request></service_requests>")
    council = make_council("sanfrancisco", prefix="SFO", bounds=(-122.6, 37.6, -122.3, 37.9))
    template_publish(council=council, document=catch_all_template(), actor=Actor.system())
    _key, raw = api_key_create(council_id=council.id, name="Replay", actor=Actor.system())
    counting = CountingClient(client)
    before = footprint()
    with pytest.raises(ReplayError) as caught:
        replay_file(counting, path, OPEN311, raw)
    message = str(caught.value)
    assert message.startswith(f"{name} is not a complete XML document (mismatched tag: line "), (
        message
    )
    assert "truncated or damaged, so nothing from it was replayed" in message
    assert counting.posts == 0
    assert footprint() == before
    assert Case.objects.filter(council=council).count() == 0


def test_a_damaged_json_file_is_reported_too(tmp_path):
    cut = tmp_path / "cut.json"
    whole = (REPLAY / "bloomington_requests.json").read_bytes()
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ReplayError, match=r"^cut\.json is not valid JSON \(.*line \d+"):
        read_requests(cut, OPEN311)


# --- Over-long descriptions ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_description_over_4000_characters_is_refused_whole_and_4000_is_taken(client):
    """No real record is that long, so a real one is repeated: Bloomington's longest description
    with \\r\\n line breaks, to exactly 4000 and to 4001 characters."""
    source = _by_file("bloomington_requests.json")
    plan = source.plan()
    text = max(
        (r.description or "" for r, _, _ in plan if "\r\n" in (r.description or "")), key=len
    )
    # Posted with the place and service of the first request the server takes as it is.
    record, code, _ = next(p for p in plan if p[2] is None)
    council, api_key = council_for(source, [r for r, _, _ in plan])
    assert "\r\n" in text and len(text) < 1000
    long_text = (text + "\r\n\r\n") * (MAX_DESCRIPTION // len(text) + 1)

    over = create_form(record, code, api_key) | {"description": long_text[: MAX_DESCRIPTION + 1]}
    before = footprint()
    response = post_form(client, "requests", "json", over)
    assert response.status_code == 400, response.content
    message = " ".join(e["description"] for e in error_list(response, "json"))
    assert "description" in message and "4000" in message, message
    assert footprint() == before

    exact = create_form(record, code, api_key) | {"description": long_text[:MAX_DESCRIPTION]}
    exact["description"] = exact["description"][:-1] + "."  # not ending in whitespace
    reference = created_id(post_form(client, "requests", "json", exact))
    item = ok(get(client, f"requests/{reference}", "json"), "json")[0]
    check_round_trip(item, exact, reference, "json")
    assert len(item["description"]) == MAX_DESCRIPTION
    # XML readers turn a raw \r\n into \n (the exact XML round trip is pinned below).
    item = ok(get(client, f"requests/{reference}", "xml"), "xml")[0]
    assert item["description"] in (exact["description"], exact["description"].replace("\r\n", "\n"))
    assert Case.objects.filter(council=council).count() == 1


@pytest.mark.django_db
def test_line_breaks_of_a_real_description_survive_the_xml_round_trip(client):
    source = _by_file("bloomington_requests.json")
    plan = source.plan()
    text = next(r.description for r, _, _ in plan if "\r\n" in (r.description or ""))
    record, code, _ = next(p for p in plan if p[2] is None)
    _council, api_key = council_for(source, [r for r, _, _ in plan])
    form = create_form(record, code, api_key) | {"description": text}
    reference = created_id(post_form(client, "requests", "json", form))
    assert ok(get(client, f"requests/{reference}", "json"), "json")[0]["description"] == text
    raw = get(client, f"requests/{reference}", "xml").content
    assert ET.fromstring(raw).findtext("request/description") == text  # noqa: S314
