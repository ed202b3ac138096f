"""Importing historical cases: broken rows are rejected with reasons and the rest loaded;
re-running changes nothing; Open311 dumps in JSON and XML; the CLI reports it all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from townsquare.cases.models import Case
from townsquare.cases.sla import due_times
from townsquare.core.models import Event
from townsquare.opendata.imports import (
    ImportFailed,
    cases_import,
    mapping_from_document,
    mapping_load,
    mapping_names,
)

pytestmark = pytest.mark.django_db

MAPPING = {
    "name": "Test city",
    "source": "testcity",
    "id": "ID",
    "timezone": "America/New_York",
    "datetime_format": "%m/%d/%Y %I:%M:%S %p",
    "opened_at": "OPEN",
    "closed_at": "CLOSED",
    "due_at": "TARGET",
    "status": {"column": "STATUS", "closed": ["Closed"]},
    "latitude": "LAT",
    "longitude": "LNG",
    "no_location_points": [[51.25, -1.25]],
    "address": "WHERE",
    "channel": {"column": "SOURCE", "map": {"App": "app"}, "default": "phone"},
    "service": {"column": "TYPE", "map": {"Pothole": "pothole"}},
}
HEADER = "ID,OPEN,CLOSED,TARGET,STATUS,TYPE,LAT,LNG,WHERE,SOURCE\n"
ROWS = [
    "1,01/24/2015 02:36:52 PM,01/27/2015 08:34:04 AM,01/26/2015 08:30:00 AM,Closed,Pothole,"
    "51.5,-1.7,1 High St,App",
    "2,01/25/2015 09:00:00 AM,,,Open,Pothole,51.6,-1.6,2 High St,Phone",
    "3,13/45/2015 02:36:52 PM,,,Open,Pothole,51.5,-1.5,,App",  # not a date
    "4,01/24/2015 02:36:52 PM,01/23/2015 08:00:00 AM,,Closed,Pothole,51.5,-1.5,,App",
    "5,01/24/2015 02:36:52 PM,,,Open,Pothole,95.0,-1.5,,App",  # off the globe
    "6,01/24/2015 02:36:52 PM,,,Open,Pothole,48.0,2.3,,App",  # Paris: not this council
    "7,01/24/2015 02:36:52 PM,,,Open,Street cleaning,51.5,-1.5,,App",  # not mapped
    "1,01/24/2015 02:36:52 PM,,,Open,Pothole,51.5,-1.5,,App",  # same id again
    "8,01/24/2015 02:36:52 PM,,,Closed,Pothole,51.5,-1.5,,App",  # closed, no time
    "9,01/24/2015 03:00:00 PM,,,Open,Pothole,51.25,-1.25,,App",  # the "no location" point
    ",01/24/2015 03:00:00 PM,,,Open,Pothole,51.25,-1.25,,App",  # no id
]


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def test_broken_rows_are_rejected_with_reasons_and_the_rest_loaded(council, csv_file):
    result = cases_import(council=council, mapping=mapping_from_document(MAPPING), paths=[csv_file])
    assert result.rows == len(ROWS)
    assert result.imported == 3
    assert result.skipped_categories == {"Street cleaning": 1}
    reasons = {r.line: r.reason for r in result.rejected}
    assert reasons == {
        4: "opened '13/45/2015 02:36:52 PM' is not a date and time like %m/%d/%Y %I:%M:%S %p",
        5: "closed (2015-01-23 13:00:00) before it was opened (2015-01-24 19:36:52)",
        6: "latitude 95.0 is not on the globe (degrees WGS84)",
        7: "the point 48.00000,2.30000 is outside Testshire Council",
        9: "id 1 repeats line cases.csv:2",
        10: "closed, but no closing time",
        12: "no id in column 'ID'",
    }
    closed = Case.objects.get(council=council, address="1 High St")
    assert not closed.is_open and closed.state == "fixed" and closed.channel == "app"
    assert closed.created_at.isoformat() == "2015-01-24T19:36:52+00:00"  # New York time
    assert closed.closed_at.isoformat() == "2015-01-27T13:34:04+00:00"
    assert closed.resolve_due_at.isoformat() == "2015-01-26T13:30:00+00:00"
    assert closed.area is not None and closed.h3_r9 is not None
    kinds = list(
        Event.objects.filter(stream="case", stream_id=closed.id).values_list("kind", flat=True)
    )
    assert kinds == ["case.created", "case.transitioned"]
    still_open = Case.objects.get(council=council, address="2 High St")
    assert still_open.is_open and still_open.channel == "phone"
    # Due time from the service's SLA when the file gives none.
    assert (
        still_open.resolve_due_at
        == due_times(still_open.service.current_version.document["sla"], still_open.created_at)[1]
    )
    nowhere = Case.objects.get(council=council, address="", lat__isnull=True)
    assert nowhere.h3_r9 is None


def test_running_again_changes_nothing(council, csv_file):
    mapping = mapping_from_document(MAPPING)
    cases_import(council=council, mapping=mapping, paths=[csv_file])
    cases, events = Case.objects.count(), Event.objects.count()
    again = cases_import(council=council, mapping=mapping, paths=[csv_file])
    assert again.imported == 0 and again.already_imported == 3
    assert (Case.objects.count(), Event.objects.count()) == (cases, events)
    # The same row in another council is another case.


def test_mapping_problems_are_explained(council):
    with pytest.raises(ImportFailed, match="'id' must name a column"):
        mapping_from_document({**MAPPING, "id": ""})
    with pytest.raises(ImportFailed, match="unknown timezone"):
        mapping_from_document({**MAPPING, "timezone": "Mars/Olympus"})
    with pytest.raises(ImportFailed, match="does not have: street_sweeping"):
        cases_import(
            council=council,
            paths=[],
            mapping=mapping_from_document(
                {**MAPPING, "service": {"column": "TYPE", "map": {"x": "street_sweeping"}}}
            ),
        )
    with pytest.raises(ImportFailed, match="No mapping called 'atlantis'"):
        mapping_load("atlantis")


def test_shipped_mappings_load():
    assert {"boston", "los-angeles", "san-francisco", "new-york", "open311"} <= set(mapping_names())
    for name in mapping_names():
        assert mapping_load(name).source


def test_open311_dumps_in_json_and_xml(council, tmp_path):
    requests_json = [
        {
            "service_request_id": "A1",
            "status": "closed",
            "service_code": "pothole",
            "requested_datetime": "2024-03-01T10:00:00Z",
            "updated_datetime": "2024-03-02T10:00:00Z",
            "lat": 51.5,
            "long": -1.5,
            "address": "1 Mill Lane",
        },
        {
            "service_request_id": "A2",
            "status": "open",
            "service_code": "pothole",
            "requested_datetime": "2024-03-01T11:00:00+00:00",
            "updated_datetime": None,
            "lat": "null",
            "long": "null",
        },
        {
            "service_request_id": "A3",
            "status": "open",
            "service_code": "unknown_thing",
            "requested_datetime": "2024-03-01T11:00:00+00:00",
        },
    ]
    dump = tmp_path / "requests.json"
    dump.write_text(json.dumps(requests_json), encoding="utf-8")
    result = cases_import(council=council, mapping=mapping_load("open311"), paths=[dump])
    assert (result.imported, result.skipped, len(result.rejected)) == (2, 1, 0)
    xml = tmp_path / "requests.xml"
    xml.write_text(
        "<?xml version='1.0'?><service_requests><request><service_request_id>B1"
        "</service_request_id><status>open</status><service_code>pothole</service_code>"
        "<requested_datetime>2024-03-03T10:00:00-05:00</requested_datetime><lat>51.4</lat>"
        "<long>-1.4</long></request></service_requests>",
        encoding="utf-8",
    )
    assert cases_import(council=council, mapping=mapping_load("open311"), paths=[xml]).imported == 1
    truncated = tmp_path / "broken.xml"
    truncated.write_text("<service_requests><request><service_request_id>C1", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"broken\.xml: not a complete XML document"):
        cases_import(council=council, mapping=mapping_load("open311"), paths=[truncated])


def test_the_command_reports_and_writes_the_rejected_rows(council, csv_file, tmp_path, capsys):
    mapping = tmp_path / "mine.yaml"
    mapping.write_text(json.dumps(MAPPING), encoding="utf-8")  # JSON is YAML
    rejected = tmp_path / "rejected.csv"
    call_command(
        "import",
        str(csv_file),
        "--council",
        "testshire",
        "--mapping",
        str(mapping),
        "--rejected",
        str(rejected),
        "--quiet",
    )
    out = capsys.readouterr().out
    assert "imported: 3" in out and "rejected: 7" in out and "skipped 1 x Street cleaning" in out
    lines = rejected.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "file,line,source_id,reason" and len(lines) == 8
    with pytest.raises(CommandError, match="No such file or folder"):
        call_command(
            "import", str(tmp_path / "nope.csv"), "--council", "testshire", "--mapping", "boston"
        )
    with pytest.raises(CommandError, match="No council"):
        call_command("import", str(csv_file), "--council", "atlantis", "--mapping", "boston")


def test_short_rows_repeated_and_missing_columns_read_as_blank_cells(council, tmp_path):
    # The header lacks the mapping's WHERE column; a row ends early (no place, no source);
    # a repeated column name reads its last cell, as a dict of the row would.
    path = tmp_path / "ragged.csv"
    path.write_text(
        "ID,OPEN,CLOSED,TARGET,STATUS,TYPE,LAT,LNG,SOURCE,SOURCE\n"
        "1,01/24/2015 02:36:52 PM,,,Open,Pothole\n"
        "2,01/24/2015 02:36:52 PM,,,Open,Pothole,51.5,-1.5,Phone,App,extra,cells\n"
        "3\n",
        encoding="utf-8",
    )
    result = cases_import(council=council, mapping=mapping_from_document(MAPPING), paths=[path])
    assert (result.rows, result.imported) == (3, 2)
    assert result.skipped_categories == {"(no category)": 1}
    short = Case.objects.get(council=council, lat__isnull=True)
    assert short.address == "" and short.channel == "phone" and short.h3_r7 is None
    long = Case.objects.get(council=council, lat__isnull=False)
    assert long.address == "" and long.channel == "app"


def test_a_problem_in_one_file_names_that_file(council, csv_file, tmp_path):
    other = tmp_path / "more.csv"
    other.write_text(
        HEADER + "1,01/24/2015 02:36:52 PM,,,Open,Pothole,51.5,-1.5,,App\n", encoding="utf-8"
    )
    result = cases_import(
        council=council, mapping=mapping_from_document(MAPPING), paths=[csv_file, other]
    )
    assert [
        (r.file, r.line, r.source_id, r.reason) for r in result.rejected if r.file == "more.csv"
    ] == [("more.csv", 2, "1", "id 1 repeats line cases.csv:2")]
    assert result.rows == len(ROWS) + 1


def test_open311_requests_with_different_keys(council, tmp_path):
    dump = tmp_path / "requests.json"
    dump.write_text(
        json.dumps(
            [
                {
                    "service_request_id": "A1",
                    "service_code": "pothole",
                    "requested_datetime": "2024-03-01T10:00:00Z",
                },
                {
                    "address": "2 Mill Lane",
                    "service_request_id": "A2",
                    "service_code": "pothole",
                    "requested_datetime": "2024-03-01T11:00:00Z",
                    "lat": "51.5",
                    "long": "-1.5",
                },
                "not a request",
            ]
        ),
        encoding="utf-8",
    )
    result = cases_import(council=council, mapping=mapping_load("open311"), paths=[dump])
    assert (result.rows, result.imported) == (3, 2)
    assert result.skipped_categories == {"(no category)": 1}
    assert Case.objects.get(council=council, address="2 Mill Lane").lat == 51.5
    assert Case.objects.get(council=council, address="").lat is None


def test_a_gzipped_csv_in_a_folder_imports_as_the_plain_one(council, csv_file, tmp_path, capsys):
    import gzip

    folder = tmp_path / "packed"
    folder.mkdir()
    (folder / "cases.csv.gz").write_bytes(gzip.compress(csv_file.read_bytes()))
    (folder / "notes.txt").write_text("not data", encoding="utf-8")
    mapping = tmp_path / "mine.yaml"
    mapping.write_text(json.dumps(MAPPING), encoding="utf-8")
    call_command(
        "import",
        str(folder),
        "--council",
        "testshire",
        "--mapping",
        str(mapping),
        "--rejected",
        str(tmp_path / "rejected.csv"),
        "--quiet",
    )
    out = capsys.readouterr().out
    assert "imported: 3" in out and "rejected: 7" in out
