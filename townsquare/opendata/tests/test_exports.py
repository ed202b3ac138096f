"""No personal field ever leaves in an export, in any format, whatever people typed."""

from __future__ import annotations

import csv
import io
import json

import pytest

from townsquare.accounts.principal import Principal
from townsquare.cases.services import (
    Reporter,
    case_add_citizen_update,
    case_add_internal_note,
    case_create,
    case_post_public_update,
)
from townsquare.geo.points import Point
from townsquare.opendata.exports import COLUMNS, FORMATS, Export, stream

pytestmark = pytest.mark.django_db
SECRETS = (
    "Jo Bloggs",
    "jo.bloggs@example.org",
    "07700 900456",
    "07700900456",
    "SW1A 1AA",
    "12 Secret Street",
    "private child",
    "a staff-only note",
    "my neighbour Pat",
    "free text desc",
)


@pytest.fixture
def cases(council, agent):
    report = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
        address="12 Secret Street, SW1A 1AA",
        description="free text desc: my neighbour Pat",
        reporter=Reporter(email="jo.bloggs@example.org", name="Jo Bloggs", phone="07700900456"),
    )
    case_post_public_update(case=report, actor=agent, message="Call 07700 900456")
    case_add_internal_note(case=report, actor=agent, note="a staff-only note")
    case_add_citizen_update(
        case=report, actor=Principal.anonymous(), message="Jo Bloggs here", requested_status=""
    )
    case_create(
        service_code="school_transport",
        actor=Principal.anonymous(),
        council=council,
        values={"child_name": "private child", "sen": "no"},
        reporter=Reporter(email="jo.bloggs@example.org", name="Jo Bloggs"),
    )
    return [report]


def _export(fmt: str, council_ids=None) -> str:
    return "".join(stream(Export(council_ids=council_ids, fmt=fmt)))


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_no_personal_or_private_data_in_any_format(cases, council, fmt):
    for scope in (None, frozenset([council.id])):
        text = _export(fmt, scope)
        assert cases[0].reference in text
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {fmt}"
        assert "school_transport" not in text


def test_exports_hold_exactly_the_dictionary_columns(cases):
    names = [name for name, _ in COLUMNS]
    header = next(csv.reader(io.StringIO(_export("csv"))))
    assert header == names
    [line] = _export("jsonl").splitlines()
    assert list(json.loads(line)) == names
    [feature] = json.loads(_export("geojson"))["features"]
    assert set(feature["properties"]) == set(names) - {"latitude", "longitude"}


TRICKY = '=HYPERLINK("x"), a "quoted"\nname, é ✓ \\ back\tslash'


@pytest.mark.parametrize("chunk", [1, 2, 5000])
def test_fast_writers_write_exactly_what_the_reference_writers_write(council, other_council, chunk):
    import datetime as dt

    from townsquare.cases.models import Case
    from townsquare.cases.selectors import open_data_rows
    from townsquare.catalogue.models import ServiceTemplate
    from townsquare.councils.models import Area
    from townsquare.opendata.exports import _csv_rows_slow, _json_slow

    made = [
        case_create(
            service_code="pothole",
            actor=Principal.anonymous(),
            point=Point(51.5 + i / 1e7, -1.5 - i * 0.1234567),
            values={"depth": "deep"},
        )
        for i in range(4)
    ]
    made.append(
        case_create(
            service_code="pothole",
            actor=Principal.anonymous(),
            point=Point(51.5, 0.5),
            values={"depth": "deep"},
        )
    )  # the other
    Case.objects.filter(id=made[1].id).update(
        is_open=False,
        state="fixed",
        closed_at=dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC),
    )
    Case.objects.filter(id=made[2].id).update(lat=None, lng=None, area=None)
    Case.objects.filter(id=made[3].id).update(location_approximate=True, support_count=12)
    ServiceTemplate.objects.filter(council=council, code="pothole").update(name=TRICKY)
    Area.objects.filter(council=council).update(name="+" + TRICKY)
    for scope in (None, frozenset([council.id])):
        fast = "".join(stream(Export(council_ids=scope, fmt="csv"), chunk=chunk))
        assert fast == "".join(_csv_rows_slow(open_data_rows(council_ids=scope)))
        assert "'=HYPERLINK" in fast and "'+=HYPERLINK" in fast  # neutralised
        assert len(list(csv.reader(io.StringIO(fast)))) == (6 if scope is None else 5)
        for fmt in ("jsonl", "geojson"):
            fast = "".join(stream(Export(council_ids=scope, fmt=fmt), chunk=chunk))
            assert fast == "".join(_json_slow(Export(council_ids=scope, fmt=fmt)))
        assert "".join(
            stream(Export(council_ids=frozenset([-1]), fmt=fmt), chunk=chunk)
        ) == "".join(_json_slow(Export(council_ids=frozenset([-1]), fmt=fmt)))
