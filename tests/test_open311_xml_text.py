"""XML that every parser reads (issue #13, item 2; ADR 70).

U+FFFE, U+FFFF, lone surrogates, most control characters and the noncharacters cannot appear
in XML 1.0, escaped or not: one such character in one stored report made a whole
`requests.xml` unparseable for expat and libxml2. The rule (townsquare.core.text.clean_text)
is applied where text enters the domain, on every channel, and again by the Open311 XML
writer. Here:

- the rule itself, checked against the XML 1.0 `Char` production for every code point;
- property tests (hypothesis) over arbitrary Unicode, through the domain and through the
  Open311 POSTs: every Open311 XML document parses with lxml's strict parser and reads as the
  same data as its JSON twin, and the text is what was sent, cleaned;
- rows written before the rule (or by hand) still give XML that parses;
- each way text enters: the case services, published templates, the Open311 service-list
  importer, the open-data importer.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.factories import REPORT_TEMPLATE
from tests.open311_support import FORM, api_key_for, now_s, url, w3c
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import (
    Reporter,
    case_add_citizen_update,
    case_add_internal_note,
    case_create,
    case_post_public_update,
)
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.core.models import Event
from townsquare.core.text import clean_text, clean_texts
from townsquare.geo.points import Point
from townsquare.open311.importer import parse_service_list
from townsquare.opendata.imports import cases_import, mapping_from_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_key(council):
    return api_key_for(council)


# Characters that XML 1.0 cannot carry or asks to avoid, and the ones it is easy to get wrong
# around them, drawn often on top of arbitrary code points (surrogates included).
TROUBLE = [
    "\ufffe",
    "\uffff",
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1f",
    "\x7f",
    "\x80",
    "\x85",
    "\x9f",
    "\ufdd0",
    "\ufdef",
    "\U0001fffe",
    "\U0010ffff",
    "\t",
    "\n",
    "\r",
    "&",
    "<",
    ">",
    "]]>",
    "&#xFFFF;",
    "\ud83d\ude00",
    "é",
    "—",
    "\ue000",
    "\U0010fffd",
]
ANY_TEXT = st.lists(
    st.one_of(st.characters(exclude_categories=()), st.sampled_from(TROUBLE)), max_size=40
).map("".join)
PROPERTY = settings(max_examples=300, derandomize=True, deadline=None, database=None)
# Through the database and HTTP: fewer examples, each with many of the troublesome characters.
PROPERTY_DB = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
STRICT = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, huge_tree=False)
STAFF = Principal.system("xml text tests")
# Open311 lists in XML: their children are the items (everything else is a record or a text).
XML_LISTS = {
    "services",
    "service_requests",
    "attributes",
    "values",
    "service_request_updates",
    "errors",
    "endpoints",
    "formats",
    "notes",
    "groups",
    "media_urls",
}


def is_xml_char(code: int) -> bool:
    """XML 1.0 (5th ed.) section 2.2, `Char`, less the characters it asks documents to avoid
    (control characters but NEL, and noncharacters)."""
    if code in (0x9, 0xA, 0xD):
        return True
    controls = code < 0x20 or 0x7F <= code <= 0x84 or 0x86 <= code <= 0x9F
    surrogates = 0xD800 <= code <= 0xDFFF
    noncharacters = 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
    return not (controls or surrogates or noncharacters)


# ---- the rule ----------------------------------------------------------------------------------


def test_clean_text_keeps_exactly_the_characters_xml_takes():
    wrong = [
        hex(code)
        for code in range(0x110000)
        if (clean_text(chr(code)) == chr(code)) != is_xml_char(code)
    ]
    assert wrong == []


def test_every_character_kept_is_read_back_by_libxml2():
    kept = "".join(chr(code) for code in range(0x20, 0x110000) if is_xml_char(code))
    document = f"<t>{kept.replace('&', '&amp;').replace('<', '&lt;')}</t>".encode()
    assert etree.fromstring(document, STRICT).text == kept


def test_surrogates_pair_up_or_become_the_replacement_character():
    assert clean_text("a\ud83d\ude00b") == "a\U0001f600b"
    assert clean_text("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    assert clean_text("\udc00\ud800") == "\ufffd\ufffd"


@PROPERTY
@given(ANY_TEXT)
def test_clean_text_is_idempotent_and_only_removes_or_replaces(text):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert all(is_xml_char(ord(c)) for c in cleaned)
    assert len(cleaned) <= len(text)


def test_clean_texts_goes_through_containers_and_leaves_other_values():
    assert clean_texts({"a\uffff": ["x\x00", ("y\ufffe",), 3, None, True]}) == {
        "a": ["x", ["y"], 3, None, True]
    }


# ---- XML and JSON of the same document ----------------------------------------------------------


def xml_data(element: etree._Element, parent: str = "") -> Any:
    # `attributes` is a list in a service definition, a record in extended_attributes.
    is_list = element.tag in XML_LISTS and not (
        element.tag == "attributes" and parent == "extended_attributes"
    )
    if is_list:
        return [xml_data(child, element.tag) for child in element]
    children = list(element)
    if not children:
        return element.text or ""
    return {child.tag: xml_data(child, element.tag) for child in children}


def as_xml_text(value: Any) -> Any:
    """JSON data as the XML writer spells it: text for every leaf, no nulls."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return {k: as_xml_text(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [as_xml_text(v) for v in value]
    return str(value)


def both(client, path: str, **params: Any) -> Any:
    """The document in JSON, after checking that its XML parses strictly and says the same."""
    as_json = client.get(url(path, "json"), params)
    as_xml = client.get(url(path, "xml"), params)
    assert as_json.status_code == as_xml.status_code == 200, (
        as_json.content[:300],
        as_xml.content[:300],
    )
    data = json.loads(as_json.content.decode("utf-8"))
    root = etree.fromstring(as_xml.content, STRICT)  # raises on any character XML refuses
    assert xml_data(root) == as_xml_text(data)
    return data


def every_document(client, reference: str, code: str) -> dict[str, Any]:
    now = now_s()
    window = {
        "start_date": w3c(now - dt.timedelta(hours=1)),
        "end_date": w3c(now + dt.timedelta(hours=1)),
    }
    return {
        "services": both(client, "services"),
        "definition": both(client, f"services/{code}"),
        "request": both(client, f"requests/{reference}", extensions="true")[0],
        "search": both(client, "requests", service_request_id=reference, extensions="true"),
        "updates": both(client, "servicerequestupdates", **window),
    }


def publish_text_service(council, name: str, help_text: str) -> str:
    """A report service with a free-text question, its name and help from `name`/`help_text`."""
    document = copy.deepcopy(REPORT_TEMPLATE)
    document["code"] = "pothole_words"
    document["name"] = ("Words " + name)[:100]
    document["fields"] = [
        *document["fields"],
        {
            "code": "words",
            "label": ("Say " + help_text)[:200],
            "datatype": "text",
            "order": 9,
            "help": ("Help " + help_text)[:500],
        },
    ]
    template_publish(council=council, document=document, actor=Actor.system("tests"))
    return document["code"]


@PROPERTY_DB
@given(texts=st.lists(ANY_TEXT, min_size=6, max_size=6))
def test_text_through_the_domain_gives_xml_that_parses_and_matches_json(
    client, council, agent, texts
):
    name, words, description, address, update, reply = texts
    code = publish_text_service(council, name, words)
    case = case_create(
        service_code=code,
        actor=STAFF,
        council=council,
        point=Point(51.5, -1.5),
        values={"depth": "deep", "words": words},
        description=description,
        address=address,
        reporter=Reporter(name=name[:200]),
    )
    case_post_public_update(case=case, actor=agent, message="Update " + update)
    case_add_citizen_update(
        case=case, actor=Principal.anonymous(), message=reply, requested_status="open"
    )
    case_add_internal_note(case=case, actor=agent, note="Note " + reply)

    found = every_document(client, case.reference, code)
    request = found["request"]
    assert request["description"] == clean_text(description).strip()
    assert request["status_notes"] == clean_text("Update " + update).strip()
    assert request["address"] == (clean_text(address).strip() or "51.500000, -1.500000")
    attributes = request["extended_attributes"]["attributes"]
    assert attributes.get("words", "") == clean_text(words).strip()  # an empty answer is none
    assert found["search"] == [request]
    service = next(s for s in found["services"] if s["service_code"] == code)
    assert service["service_name"] == clean_text("Words " + name)[:100]
    replies = [
        u["description"] for u in found["updates"] if u["service_request_id"] == case.reference
    ]
    assert clean_text(reply).strip() in replies
    case.refresh_from_db()
    assert case.reporter_name == clean_text(name[:200]).strip()


def form_bytes(form: dict[str, str]) -> bytes:
    """urlencoded as a client would send any text, lone surrogates as the bytes UTF-8 would give
    them (what the server then reads as replacement characters)."""
    return "&".join(
        f"{k}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in form.items()
    ).encode("ascii")


@PROPERTY_DB
@given(texts=st.lists(ANY_TEXT, min_size=4, max_size=4))
def test_text_through_open311_posts_gives_xml_that_parses_and_matches_json(
    client, council, api_key, texts
):
    # (Function-scoped fixtures are shared by the examples: the cases pile up, which is fine.)
    description, address, first_name, update = texts
    created = client.post(
        url("requests", "json"),
        content_type=FORM,
        data=form_bytes(
            {
                "api_key": api_key,
                "service_code": "pothole",
                "lat": "51.5",
                "long": "-1.5",
                "attribute[depth]": "deep",
                "description": description,
                "address_string": address,
                "first_name": first_name,
            }
        ),
    )
    assert created.status_code == 200, created.content
    reference = json.loads(created.content)[0]["service_request_id"]
    posted = client.post(
        url("servicerequestupdates", "xml"),
        content_type=FORM,
        data=form_bytes(
            {
                "api_key": api_key,
                "service_request_id": reference,
                "update_id": f"u-{reference}",
                "status": "OPEN",
                "description": update,
            }
        ),
    )
    assert posted.status_code == 200, posted.content

    found = every_document(client, reference, "pothole")
    sent = description.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    assert found["request"]["description"] == clean_text(sent).strip()
    assert Case.objects.get(reference=reference).description == clean_text(sent).strip()


# Text a database can hold (no NUL for PostgreSQL, no lone surrogates for any) with the
# characters XML refuses: rows from before the rule, or written by hand.
STORED_TEXT = st.lists(
    st.one_of(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
        st.sampled_from(
            [
                c
                for c in TROUBLE
                if "\x00" not in c and not any(0xD800 <= ord(x) <= 0xDFFF for x in c)
            ]
        ),
    ),
    max_size=40,
).map("".join)


@PROPERTY_DB
@given(texts=st.lists(STORED_TEXT, min_size=3, max_size=3))
def test_rows_written_before_the_rule_still_give_xml_that_parses(client, council, agent, texts):
    description, notes, message = texts
    case = case_create(
        service_code="pothole",
        actor=STAFF,
        council=council,
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
    )
    event_id = case_add_citizen_update(case=case, actor=Principal.anonymous(), message="x")[1]
    Case.objects.filter(pk=case.pk).update(description=description, status_notes=notes)
    event = Event.objects.get(pk=event_id)
    Event.objects.filter(pk=event_id).update(payload={**event.payload, "message": message})

    for path, params in (
        (f"requests/{case.reference}", {"extensions": "true"}),
        (
            "servicerequestupdates",
            {
                "start_date": w3c(now_s() - dt.timedelta(hours=1)),
                "end_date": w3c(now_s() + dt.timedelta(hours=1)),
            },
        ),
    ):
        as_json = json.loads(client.get(url(path, "json"), params).content)
        root = etree.fromstring(client.get(url(path, "xml"), params).content, STRICT)
        assert xml_data(root) == as_xml_text(clean_texts(as_json))


# ---- every way in --------------------------------------------------------------------------------


BAD = "a\ufffeb\uffffc\x00d\x1be\ud800f\ufdd0g"
CLEAN = "abcde\ufffdfg"


def test_the_case_services_clean_every_text(council, agent):
    case = case_create(
        service_code="pothole",
        actor=STAFF,
        council=council,
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
        description=BAD,
        address=BAD,
        title=BAD,
        reporter=Reporter(name=BAD),
        media_urls=[f"https://example.org/{BAD}"],
    )
    case.refresh_from_db()
    assert (case.description, case.address, case.title, case.reporter_name) == (CLEAN,) * 4
    assert case.attachments.get().url == f"https://example.org/{CLEAN}"
    case_post_public_update(case=case, actor=agent, message=BAD)
    case_add_internal_note(case=case, actor=agent, note=BAD)
    case_add_citizen_update(case=case, actor=Principal.anonymous(), message=BAD)
    case.refresh_from_db()
    assert case.status_notes == CLEAN
    payloads = Event.objects.filter(stream="case", stream_id=case.id).values_list(
        "payload", flat=True
    )
    texts = [
        p.get("message") or p.get("note") for p in payloads if p.get("message") or p.get("note")
    ]
    assert texts == [CLEAN, CLEAN, CLEAN]


def test_published_templates_are_cleaned(council):
    document = copy.deepcopy(REPORT_TEMPLATE)
    document["code"] = "cleaned"
    document["name"] = f"Name {BAD}"
    document["fields"][0]["label"] = f"Label {BAD}"
    version = template_publish(council=council, document=document, actor=Actor.system("t"))
    assert version.document["name"] == f"Name {CLEAN}"
    assert version.document["fields"][0]["label"] == f"Label {CLEAN}"


def test_the_open311_service_list_importer_cleans_decoded_entities():
    data = (
        b'<?xml version="1.0" encoding="utf-8"?><services><service>'
        b"<service_code>pot</service_code>"
        b"<service_name>Pot&amp;#xFFFF;hole&amp;#1;</service_name>"
        b"<description>Deep &amp;#xFFFE; hole</description><metadata>false</metadata>"
        b"<type>realtime</type><keywords/><group>Roads</group></service></services>"
    )
    (entry,) = parse_service_list(data, source="services.xml").entries
    assert entry.document["name"] == "Pothole"
    assert entry.document["description"] == "Deep  hole"


def test_the_open_data_importer_cleans_addresses(council, tmp_path):
    mapping = mapping_from_document(
        {
            "name": "T",
            "source": "t",
            "id": "ID",
            "timezone": "UTC",
            "opened_at": "OPEN",
            "latitude": "LAT",
            "longitude": "LNG",
            "address": "WHERE",
            "service": {"column": "TYPE", "map": {"Pothole": "pothole"}},
        }
    )
    path = tmp_path / "cases.json"
    path.write_text(
        json.dumps(
            [
                {
                    "ID": "a\uffff1",
                    "OPEN": "2026-01-01T09:00:00Z",
                    "LAT": "51.5",
                    "LNG": "-1.5",
                    "WHERE": BAD,
                    "TYPE": "Pothole",
                }
            ]
        ),
        encoding="utf-8",
    )
    result = cases_import(council=council, mapping=mapping, paths=[path])
    assert result.imported == 1, result.rejected
    assert Case.objects.get(council=council).address == CLEAN
