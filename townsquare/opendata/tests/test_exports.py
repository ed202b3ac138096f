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
SECRETS = ("Jo Bloggs", "jo.bloggs@example.org", "07700 900456", "07700900456",
           "SW1A 1AA", "12 Secret Street", "private child", "a staff-only note",
           "my neighbour Pat", "free text desc")


@pytest.fixture
def cases(council, agent):
    report = case_create(
        service_code="pothole", actor=Principal.anonymous(), point=Point(51.5, -1.5),
        values={"depth": "deep"}, address="12 Secret Street, SW1A 1AA",
        description="free text desc: my neighbour Pat",
        reporter=Reporter(email="jo.bloggs@example.org", name="Jo Bloggs",
                          phone="07700900456"))
    case_post_public_update(case=report, actor=agent, message="Call 07700 900456")
    case_add_internal_note(case=report, actor=agent, note="a staff-only note")
    case_add_citizen_update(case=report, actor=Principal.anonymous(), message="Jo Bloggs here",
                            requested_status="")
    case_create(service_code="school_transport", actor=Principal.anonymous(), council=council,
                values={"child_name": "private child", "sen": "no"},
                reporter=Reporter(email="jo.bloggs@example.org", name="Jo Bloggs"))
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
