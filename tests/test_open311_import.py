"""`townsquare open311 import-services`: real Open311 service lists become service templates.

The lists in tests/fixtures/open311 are real documents from city servers (see the README
there); the messier cases no real file shows are written inline, next to what they must do.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from townsquare.catalogue.models import ServiceTemplate, ServiceTemplateVersion
from townsquare.catalogue.schema import template_problems
from townsquare.core.models import Event
from townsquare.open311.importer import (
    IMPORTED_WORKFLOW,
    ServiceListError,
    parse_service_list,
    read_service_list,
)

FIXTURES = Path(__file__).parent / "fixtures" / "open311"
TRUNCATED = FIXTURES / "sf_open311_2010_requests.xml"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def documents(path: Path) -> dict[str, dict]:
    return {e.code: e.document for e in read_service_list(path).importable}


def counts() -> tuple[int, int, int]:
    return (
        ServiceTemplate.objects.count(),
        ServiceTemplateVersion.objects.count(),
        Event.objects.count(),
    )


# --- The real lists -----------------------------------------------------------------------

REAL_LISTS = [
    pytest.param(
        "sf_open311_2010_services.xml",
        "xml",
        36,
        {
            "001": ("Cans_Left_Out_24x7", "Litter Receptacles"),
            "028": ("Water_Main_Break", "Graffiti"),  # sic: San Francisco filed it there
            "379": ("Damaged_Parking_Meter", "Street or Sidewalk"),
        },
        id="san-francisco-2010",
    ),
    pytest.param(
        "sf_open311_2014_services.xml",
        "xml",
        38,
        {
            "006": ("Trees - Damaged Tree", "Tree Maintenance"),
            "068": ("Illegal_Posting", "Street or Sidewalk"),
            "172": ("Garbage and/or overgrowth on vacant lot", "Street or Sidewalk"),
        },
        id="san-francisco-2014",
    ),
    pytest.param(
        "bloomington_services.json",
        "json",
        46,
        {
            "4e09c863992b94b915000000": ("City Performance", "Most Popular"),
            "4f847a96b1fe2c8641000000": ("Biking & Walking", "Streets, Parking & Traffic"),
            "4e090d24992b941e78000017": ("Water Quality", "Water & Sewage Utility"),
        },
        id="bloomington",
    ),
    pytest.param(
        "giessen_services.xml",
        "xml",
        8,
        {
            "012": ("Verkehrsschild beschädigt", "General"),
            "011": ("Straßen- und Gehwegschäden", "General"),
            "017": ("Wilde Müllkippe, Sperrmüll", "General"),
            "014": ("Grünflächen und Spielplätze", "General"),
        },
        id="giessen",
    ),
]


@pytest.mark.parametrize(("name", "fmt", "expected", "spots"), REAL_LISTS)
def test_every_service_of_each_real_list_becomes_a_valid_template(name, fmt, expected, spots):
    services = read_service_list(FIXTURES / name)
    assert services.format == fmt
    assert services.skipped == []
    assert len(services.importable) == expected
    docs = {e.code: e.document for e in services.importable}
    assert {code: (docs[code]["name"], docs[code]["group"]) for code in spots} == spots
    for doc in docs.values():
        assert template_problems(doc) == []
        assert doc["kind"] == "report" and doc["privacy"] == "public"
        assert doc["open311"] == {"type": "realtime"}
        assert doc["fields"] == [] and doc["workflow"] == IMPORTED_WORKFLOW
        assert doc["sla"] == {"first_response_hours": 48, "close_hours": 240}
        assert doc["routing"] == {"team": "general"}
        assert doc["retention"] == {"days_after_close": 730}


def test_san_francisco_2010_starts_with_a_blank_line_and_has_untrimmed_descriptions():
    assert (FIXTURES / "sf_open311_2010_services.xml").read_bytes().startswith(b"\n<?xml")
    docs = documents(FIXTURES / "sf_open311_2010_services.xml")
    assert list(docs)[:3] == ["001", "002", "003"]  # file order, codes kept with their zeros
    assert docs["018"]["description"] == (
        'The 4" side sewer vent cover (http://bit.ly/57BlOv) is missing from the sidewalk'
    )
    # Inner text is kept as written, double space included.
    assert "be trimmed.  To check" in docs["020"]["description"]


def test_giessen_keeps_german_text_exactly_and_fills_what_is_missing():
    services = read_service_list(FIXTURES / "giessen_services.xml")
    docs = {e.code: e.document for e in services.importable}
    assert docs["016"]["name"] == "Schrottautos und -Fahrräder"
    assert docs["016"]["description"] == "Schrottautos und -Fahrräder"  # empty: the name
    assert "keywords" not in docs["016"]
    assert docs["012"]["keywords"] == ["graffiti", "paintings"]
    assert docs["012"]["description"] == "Report graffiti on a building you own."
    notes = {e.code: e.notes for e in services.importable}
    assert notes["016"] == ["no description; used the name", "no group; listed under 'General'"]
    assert notes["012"] == ["no group; listed under 'General'"]


def test_bloomington_line_endings_and_metadata_without_a_definition():
    services = read_service_list(FIXTURES / "bloomington_services.json")
    entries = {e.code: e for e in services.importable}
    brain = entries["4f8c6cf4b1fe2c890a000000"].document["description"]
    assert "jbtbrains.org/\nNote: If there is a problem" in brain  # was \r\n
    graffiti = entries["4e090d24992b941e78000027"]  # metadata: true, no definition given
    assert graffiti.document["fields"] == []
    assert any("metadata is true" in note for note in graffiti.notes)
    assert sum(any("metadata is true" in n for n in e.notes) for e in entries.values()) == 11


# --- Files that are not service lists -----------------------------------------------------


def test_the_truncated_real_file_is_refused_naming_the_file_and_the_damage():
    with pytest.raises(ServiceListError) as caught:
        read_service_list(TRUNCATED)
    message = str(caught.value)
    assert message.startswith(f"{TRUNCATED}: is not well-formed XML: mismatched tag (line 2, ")
    assert message.endswith("the document stops early, so the file looks truncated")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("name", ["sf_open311_2014_services.xml", "bloomington_services.json"])
def test_a_real_list_cut_off_anywhere_is_refused_whole(tmp_path, name, keep):
    data = (FIXTURES / name).read_bytes()
    cut = tmp_path / name
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ServiceListError, match="looks truncated") as caught:
        read_service_list(cut)
    assert str(caught.value).startswith(f"{cut}: is not ")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (
            "sf_open311_2010-11_requests_excerpt.json",
            "holds service requests (reports), not a service list",
        ),
        (
            "sf311_service_list_grouped_2012.json",
            "expected a JSON list of services (GeoReport v2), found an object with keys "
            "'Graffiti', ",
        ),
    ],
)
def test_real_files_of_another_kind_are_refused_with_what_they_are(name, reason):
    with pytest.raises(ServiceListError, match="^" + re.escape(str(FIXTURES / name))) as caught:
        read_service_list(FIXTURES / name)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"service_code,service_name\n001,Pothole\n", "is neither XML nor JSON"),
        (b"<!DOCTYPE html><html><body>Bad gateway</body></html>", "is an HTML page"),
        (
            b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa">]><services>&a;</services>',
            "has a document type declaration",
        ),
        (
            b"<?xml version='1.0'?><errors><error><code>403</code><description>Invalid api_key"
            b"</description></error></errors>",
            "is an Open311 error response, not a service list: 403 Invalid api_key",
        ),
        (b'[{"code": 404, "description": "Not found"}]', "error response, not a service list"),
        (b'{"service_code": "a", "attributes": []}', "is a service definition"),
        (b'["\xff"]', "is not UTF-8 text"),
        (b'[{"service_code": "a"}] trailing', "is not valid JSON: Extra data"),
        (b"<feed/>", "expected a <services> document, found <feed>"),
    ],
)
def test_documents_that_are_not_service_lists_are_refused_whole(data, reason):
    with pytest.raises(ServiceListError) as caught:
        parse_service_list(data, source="services.xml")
    assert caught.value.source == "services.xml"
    assert reason in caught.value.reason


# --- Messy entries ------------------------------------------------------------------------

# Modelled on what real servers send: San Francisco's duplicated keys and "null" strings,
# HTML-escaped text, numeric codes, codes with spaces or dots, the same service twice.
MESSY = """[
 {"service_code": "POT", "service_name": "Pothole &amp; road &eacute;dge",
  "description": "null", "group": "null", "keywords": "pothole, ,hole in road, null",
  "type": "Realtime", "metadata": "false"},
 {"service_code": "POT", "service_name": "Pothole again"},
 {"service_code": "pot hole", "service_name": "Space in the code"},
 {"service_code": "lights.json", "service_name": "Dot in the code"},
 {"service_code": "pot", "service_name": "Only the case differs"},
 {"service_code": "SIGN", "service_name": "Sign", "service_name": "Schild",
  "updated_datetime": "null", "updated_datetime": "true", "type": "sometimes"},
 {"service_code": "A", "service_code": "B", "service_name": "Which one?"},
 {"service_code": 71, "service_name": "Lifted_sidewalk_other", "keywords": "private"},
 "null",
 {"service_code": "null", "service_name": "No code really"},
 {"service_name": "No code at all"},
 {"service_code": "NAMELESS", "service_name": "  "},
 {"service_code": "LIST", "service_name": ["not", "text"]},
 {"service_code": "CTRL", "service_name": "Stra\\u00dfe\\u0000 kaputt\\r\\n",
  "description": "Zeile 1\\r\\nZeile 2 \\u2014 \\u00fc"},
 {"service_code": "LONG", "service_name": "%s"},
 {"service_code": "POT", "service_name": "Pothole &amp; road &eacute;dge",
  "description": "null", "group": "null", "keywords": "pothole, ,hole in road, null",
  "type": "Realtime", "metadata": "false"}
]""" % ("x" * 201)


def test_messy_entries_are_reported_one_by_one_and_the_rest_imported():
    services = parse_service_list(MESSY.encode(), source="messy.json")
    outcome = {e.position: (e.code, e.skipped) for e in services.entries}
    assert outcome == {
        1: ("POT", ""),
        2: ("POT", "duplicate service_code"),
        3: ("pot hole", "unusable service_code"),
        4: ("lights.json", "unusable service_code"),
        5: ("pot", "duplicate service_code"),
        6: ("SIGN", ""),
        7: (None, "ambiguous service_code"),
        8: ("71", ""),
        9: (None, "not a service"),
        10: (None, "no service_code"),
        11: (None, "no service_code"),
        12: ("NAMELESS", "no service_name"),
        13: ("LIST", "unusable value"),
        14: ("CTRL", ""),
        15: ("LONG", "unusable value"),
        16: ("POT", "duplicate service_code"),
    }
    entry = {e.position: e for e in services.entries}
    pothole = entry[1].document
    assert pothole["name"] == "Pothole & road édge"
    assert pothole["description"] == "Pothole & road édge"  # "null" is empty: the name
    assert pothole["group"] == "General"
    assert pothole["keywords"] == ["pothole", "hole in road"]
    assert pothole["open311"] == {"type": "realtime"}
    assert entry[2].problems == ["has the same service_code as entry 1; kept the first"]
    assert entry[16].problems == ["repeats entry 1 exactly; kept the first"]
    assert entry[5].problems == [
        "has the same service_code as entry 1 ('POT') apart from letter case; kept the first"
    ]
    assert entry[3].problems == [
        "service_code 'pot hole' cannot be a Townsquare code (letters, digits, _ and - only, "
        "starting with a letter or digit, at most 64 characters)"
    ]
    assert entry[6].document["name"] == "Sign"  # a repeated key keeps its first value
    assert "service_name is given 2 times ('Sign', 'Schild'); kept the first" in entry[6].notes
    assert (
        "type 'sometimes' is not one of realtime, batch, blackbox; imported as realtime"
        in entry[6].notes
    )
    assert entry[7].problems == [
        "service_code is given 2 times with different values ('A', 'B'); which is meant is unclear"
    ]
    assert entry[8].document["privacy"] == "private"  # mySociety's `private` keyword
    assert "keywords" not in entry[8].document
    assert entry[8].notes[0].startswith("service_code is the number 71; read as the text '71'")
    assert entry[9].problems == ["expected a service, found the text 'null'"]
    assert entry[10].problems == ["its service_code is the text 'null'"]
    assert entry[13].problems == ["service_name should be text, not a list"]
    assert entry[14].document["name"] == "Straße kaputt"
    assert entry[14].document["description"] == "Zeile 1\nZeile 2 \u2014 \u00fc"
    assert entry[15].problems == ["service_name is 201 characters long; at most 200 fit"]
    assert all(template_problems(e.document) == [] for e in services.importable)


def test_xml_with_namespaces_nil_values_html_entities_and_several_groups():
    data = """<?xml version="1.0" encoding="utf-8"?>
<services xmlns="urn:example" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <service>
    <service_code>
      BINS-1
    </service_code>
    <service_name>Bins&nbsp;&amp;amp; recycling</service_name>
    <description xsi:nil="true"/>
    <type>batch</type>
    <keywords>bin, recycling</keywords>
    <groups><group>Waste</group><group>Streets</group></groups>
  </service>
  <service><service_code>Ü</service_code><service_name>Umlaut code</service_name></service>
</services>""".encode()
    services = parse_service_list(data, source="services.xml")
    assert services.notes == ["read HTML entities that XML does not define: &nbsp;"]
    bins, umlaut = services.entries
    assert bins.document["code"] == "BINS-1"
    assert bins.document["name"] == "Bins & recycling"
    assert bins.document["description"] == "Bins & recycling"
    assert (bins.document["group"], bins.document["groups"]) == ("Waste", ["Waste", "Streets"])
    assert bins.document["open311"] == {"type": "batch"}
    assert umlaut.skipped == "unusable service_code"


def test_the_format_is_told_from_the_content_not_the_name(tmp_path):
    misnamed = tmp_path / "services.json"
    misnamed.write_bytes((FIXTURES / "giessen_services.xml").read_bytes())
    services = read_service_list(misnamed)
    assert services.format == "xml" and len(services.importable) == 8
    assert services.notes == ["the file is named .json but holds XML; read it as XML"]


# --- Service definitions beside the list --------------------------------------------------


def test_service_definitions_beside_the_list_become_fields(tmp_path):
    (tmp_path / "services.json").write_bytes((FIXTURES / "bloomington_services.json").read_bytes())
    (tmp_path / "services").mkdir()
    graffiti = "4e090d24992b941e78000027"
    (tmp_path / "services" / f"{graffiti}.json").write_text(
        json.dumps(
            {
                "service_code": graffiti,
                "attributes": [
                    {
                        "variable": True,
                        "code": "surface",
                        "datatype": "singlevaluelist",
                        "required": True,
                        "datatype_description": "",
                        "order": 2,
                        "description": "What is it on?",
                        "values": [{"key": "wall", "name": "A wall"}, {"key": 1, "name": ""}],
                    },
                    {
                        "variable": False,
                        "code": "notice",
                        "datatype": "string",
                        "required": False,
                        "datatype_description": "",
                        "order": 3,
                        "description": "Call 911 if abusive",
                    },
                    {
                        "variable": True,
                        "code": "uprn",
                        "datatype": "string",
                        "required": False,
                        "datatype_description": "The property reference",
                        "order": 1,
                        "description": "UPRN",
                        "automated": "server_set",
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    recycling = "4e090d24992b941e78000025"
    (tmp_path / "services" / f"{recycling}.json").write_text(
        json.dumps(
            {
                "service_code": recycling,
                "attributes": [{"code": "bin colour", "datatype": "colour", "order": 0}],
            }
        ),
        encoding="utf-8",
    )
    services = read_service_list(tmp_path / "services.json")
    entries = {e.code: e for e in services.entries}
    assert entries[graffiti].document["fields"] == [
        {
            "code": "uprn",
            "label": "UPRN",
            "datatype": "string",
            "required": False,
            "order": 1,
            "help": "The property reference",
            "automated": "server_set",
        },
        {
            "code": "surface",
            "label": "What is it on?",
            "datatype": "singlevaluelist",
            "required": True,
            "order": 2,
            "values": [{"key": "wall", "name": "A wall"}, {"key": "1", "name": "1"}],
        },
    ]
    assert entries[graffiti].notes == [
        "service definition: attribute 2 ('notice'): it is information, not a question "
        "(variable is false); not imported"
    ]
    where = tmp_path / "services" / f"{recycling}.json"
    assert entries[recycling].skipped == "unusable service definition"
    assert entries[recycling].problems == [
        f"service definition {where}: attribute 1 ('bin colour'): code 'bin colour' cannot be "
        f"a Townsquare code (letters, digits, _ and - only, starting with a letter or digit, "
        f"at most 64 characters); attribute 1 ('bin colour'): datatype 'colour' is not one of "
        f"string, number, datetime, text, singlevaluelist, multivaluelist; attribute 1 "
        f"('bin colour'): order should be a whole number from 1, not the number 0"
    ]
    assert len(services.importable) == 45


def test_xml_definitions_are_read_and_an_unreadable_one_skips_only_its_service():
    definition = b"""<?xml version="1.0" encoding="utf-8"?>
<service_definition><service_code>POT</service_code><attributes>
  <attribute><variable>true</variable><code>depth</code><datatype>singlevaluelist</datatype>
    <required>true</required><datatype_description/><order>1</order>
    <description>How deep is it?</description>
    <values><value><key>shallow</key><name>Shallow</name></value>
            <value><key>deep</key><name>Deeper than 5 cm</name></value></values></attribute>
</attributes></service_definition>"""

    def definitions(code: str) -> tuple[str, bytes] | None:
        if code == "LOCKED":
            raise ServiceListError("services/LOCKED.xml", "cannot read: Permission denied")
        return ("services/POT.xml", definition) if code == "POT" else None

    services = parse_service_list(
        b"<services><service><service_code>POT</service_code><service_name>Pothole"
        b"</service_name><metadata>true</metadata></service><service><service_code>LOCKED"
        b"</service_code><service_name>Locked</service_name></service></services>",
        source="services.xml",
        definitions=definitions,
    )
    pothole, locked = services.entries
    assert pothole.document["fields"] == [
        {
            "code": "depth",
            "label": "How deep is it?",
            "datatype": "singlevaluelist",
            "required": True,
            "order": 1,
            "values": [
                {"key": "shallow", "name": "Shallow"},
                {"key": "deep", "name": "Deeper than 5 cm"},
            ],
        }
    ]
    assert pothole.notes == ["no description; used the name", "no group; listed under 'General'"]
    assert (locked.skipped, locked.problems) == (
        "unusable service definition",
        ["service definition services/LOCKED.xml: cannot read: Permission denied"],
    )


# --- The command --------------------------------------------------------------------------


def test_out_writes_yaml_that_templates_validate_accepts_then_reports_unchanged(tmp_path):
    giessen = str(FIXTURES / "giessen_services.xml")
    out = run("open311", "import-services", giessen, "--out", str(tmp_path))
    assert f"{giessen}: 8 service(s) in an Open311 XML service list" in out
    assert f"imported   012  Verkehrsschild beschädigt [General]  {tmp_path / '012.yaml'}" in out
    assert out.rstrip().endswith(f"Imported 8, unchanged 0, skipped 0 into {tmp_path}.")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "010.yaml",
        "011.yaml",
        "012.yaml",
        "013.yaml",
        "014.yaml",
        "015.yaml",
        "016.yaml",
        "017.yaml",
    ]
    assert "8 template(s) valid." in run("templates", "validate", str(tmp_path))
    text = (tmp_path / "011.yaml").read_text(encoding="utf-8")
    assert "name: Straßen- und Gehwegschäden\n" in text  # readable UTF-8, not \\xDF escapes
    assert yaml.safe_load(text) == documents(FIXTURES / "giessen_services.xml")["011"]
    again = run("open311", "import-services", giessen, "--out", str(tmp_path))
    assert "unchanged  011  Straßen- und Gehwegschäden [General]" in again
    assert again.rstrip().endswith(f"Imported 0, unchanged 8, skipped 0 into {tmp_path}.")


def test_out_reports_each_skipped_entry_and_sums_up_the_reasons(tmp_path):
    messy = tmp_path / "services.json"
    messy.write_text(MESSY, encoding="utf-8")
    out = run("open311", "import-services", str(messy), "--out", str(tmp_path / "out"))
    assert (
        "skipped    entry 3 (service_code 'pot hole'): service_code 'pot hole' cannot be "
        "a Townsquare code"
    ) in out
    assert (
        "skipped    entry 2 (service_code 'POT'): has the same service_code as entry 1; "
        "kept the first"
    ) in out
    assert out.rstrip().endswith(
        "Imported 4, unchanged 0, skipped 12 (3 duplicate service_code, 2 unusable "
        "service_code, 2 no service_code, 2 unusable value, 1 ambiguous service_code, "
        "1 not a service, 1 no service_name) into " + str(tmp_path / "out") + "."
    )
    assert "4 template(s) valid." in run("templates", "validate", str(tmp_path / "out"))


def test_without_a_target_the_file_is_only_checked(tmp_path):
    out = run("open311", "import-services", str(FIXTURES / "sf_open311_2010_services.xml"))
    assert "valid      001  Cans_Left_Out_24x7 [Litter Receptacles]" in out
    assert "Checked: 36 can be imported, skipped 0. Nothing was written" in out


@pytest.mark.django_db
def test_council_publishes_every_service_and_a_second_import_is_unchanged(council):
    sf = str(FIXTURES / "sf_open311_2014_services.xml")
    templates, versions, events = counts()
    out = run("open311", "import-services", sf, "--council", council.slug)
    assert "imported   006  Trees - Damaged Tree [Tree Maintenance]  v1" in out
    assert out.rstrip().endswith("Imported 38, unchanged 0, skipped 0 for council testshire.")
    # One event per published service, and one for the "general" team they route to.
    assert counts() == (templates + 38, versions + 38, events + 39)
    service = ServiceTemplate.objects.get(council=council, code="006")
    assert (service.name, service.group, service.current_version.number) == (
        "Trees - Damaged Tree",
        "Tree Maintenance",
        1,
    )
    assert service.current_version.created_by_label == "townsquare open311 import-services"
    assert service.current_version.document == documents(FIXTURES / Path(sf).name)["006"]

    again = run("open311", "import-services", sf, "--council", council.slug)
    assert "unchanged  006  Trees - Damaged Tree [Tree Maintenance]  v1" in again
    assert again.rstrip().endswith("Imported 0, unchanged 38, skipped 0 for council testshire.")
    assert counts() == (templates + 38, versions + 38, events + 39)


@pytest.mark.django_db
def test_a_newer_list_versions_only_the_services_that_changed(council):
    run(
        "open311",
        "import-services",
        str(FIXTURES / "sf_open311_2010_services.xml"),
        "--council",
        council.slug,
    )
    out = run(
        "open311",
        "import-services",
        str(FIXTURES / "sf_open311_2014_services.xml"),
        "--council",
        council.slug,
    )
    # 35 services are in both lists: 4 were renamed in 2014; 3 services are new.
    assert "imported   006  Trees - Damaged Tree [Tree Maintenance]  v2" in out
    assert "unchanged  001  Cans_Left_Out_24x7 [Litter Receptacles]  v1" in out
    assert "imported   172  Garbage and/or overgrowth on vacant lot [Street or Sidewalk]  v1" in out
    assert out.rstrip().endswith("Imported 7, unchanged 31, skipped 0 for council testshire.")
    # A service missing from the newer list is left as it was.
    assert ServiceTemplate.objects.get(council=council, code="028").is_active


@pytest.mark.django_db
def test_council_import_keeps_german_names_exactly(council):
    run(
        "open311",
        "import-services",
        str(FIXTURES / "giessen_services.xml"),
        "--council",
        council.slug,
    )
    names = dict(
        ServiceTemplate.objects.filter(council=council, code__in=["011", "014", "017"]).values_list(
            "code", "name"
        )
    )
    assert names == {
        "011": "Straßen- und Gehwegschäden",
        "014": "Grünflächen und Spielplätze",
        "017": "Wilde Müllkippe, Sperrmüll",
    }


@pytest.mark.django_db
def test_a_truncated_file_is_refused_and_changes_nothing(council, tmp_path):
    before = counts()
    with pytest.raises(CommandError) as caught:
        run("open311", "import-services", str(TRUNCATED), "--council", council.slug)
    message = str(caught.value)
    assert message.startswith(f"{TRUNCATED}: is not well-formed XML: mismatched tag")
    assert message.endswith("so the file looks truncated. Nothing was changed.")
    assert counts() == before
    with pytest.raises(CommandError, match="looks truncated"):
        run("open311", "import-services", str(TRUNCATED), "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.django_db
def test_a_truncated_service_list_imports_none_of_its_readable_services(council, tmp_path):
    data = (FIXTURES / "sf_open311_2014_services.xml").read_bytes()
    cut = tmp_path / "services.xml"
    cut.write_bytes(data[: len(data) // 2])  # about 18 complete services, then cut off
    before = counts()
    with pytest.raises(CommandError, match=r"looks truncated\. Nothing was changed\.$"):
        run("open311", "import-services", str(cut), "--council", council.slug)
    assert counts() == before


def test_unknown_council_and_missing_file_are_clear_errors(tmp_path, db):
    with pytest.raises(CommandError, match="No council called 'atlantis'"):
        run(
            "open311",
            "import-services",
            str(FIXTURES / "giessen_services.xml"),
            "--council",
            "atlantis",
        )
    missing = tmp_path / "nope.xml"
    with pytest.raises(CommandError, match=f"^{re.escape(str(missing))}: no such file"):
        run("open311", "import-services", str(missing), "--out", str(tmp_path))
