"""The citizen web words the domain's problems from their codes (portal/error_messages.py), in
English and Welsh, and keeps no copy of a rule: the question pages, the report form and the
alerts form refuse exactly what case_create and area_alert_subscribe refuse."""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import APPLICATION_TEMPLATE
from townsquare.cases.models import Case
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.portal import error_messages
from townsquare.portal.models import ApplicationDraft

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REPORT_FORM = "/report/testshire/pothole/"
VISIT = {
    **copy.deepcopy(APPLICATION_TEMPLATE),
    "code": "home_visit",
    "name": "Home visit",
    "fields": [
        {
            "code": "visit_at",
            "label": "When should we visit?",
            "datatype": "datetime",
            "required": True,
            "order": 1,
        },
        {"code": "rooms", "label": "Rooms", "datatype": "number", "min": 1, "max": 20, "order": 2},
    ],
}


def _summary(body: str) -> list[tuple[str, str]]:
    """(link, message) of the error summary, with apostrophes of either kind as "'" (the
    messaging app's Welsh catalogue, which Django reads first, writes some as "'")."""
    summary = body.split('govuk-error-summary__list"', 1)[1].split("</ul>", 1)[0]
    return [
        (link, _plain(text)) for link, text in re.findall(r'<a href="([^"]+)">([^<]*)</a>', summary)
    ]


def _plain(text: str) -> str:
    return html.unescape(text).replace("\u2019", "'")


def _report(**overrides):
    answers = {
        "lat": "51.5",
        "lng": "-1.75",
        "area": "",
        "place": "Outside 4 Mill Lane",
        "field-depth": "deep",
        "field-width_cm": "40",
        "field-seen_at": "2026-03-02 07:30",
        "description": "Big hole",
        "email": "pat@example.org",
        "phone": "",
        "name": "Pat",
    }
    return {**answers, **overrides}


@pytest.fixture
def visit(council):
    template_publish(council=council, document=copy.deepcopy(VISIT), actor=Actor.system("tests"))
    return council


def _visit_question(client) -> str:
    started = client.post("/apply/testshire/home_visit/")
    url = client.get(started["Location"])["Location"]
    assert url.endswith("/question/visit_at")
    return url


# Applications: the question page asks the catalogue, as case_create does.


def test_next_tuesday_is_refused_on_the_question_page_as_case_create_refuses_it(client, visit):
    url = _visit_question(client)
    assert (
        "For example, 2026-03-02 07:30 (24-hour clock, UK time)."
        in client.get(url).content.decode()
    )  # the report form's hint, from catalogue.questions
    response = client.post(url, {"answer": "next tuesday"})
    assert response.status_code == 400
    assert _summary(response.content.decode()) == [
        (
            "#answer",
            "Enter “When should we visit?” as a date and time, for example 2026-03-02 07:30",
        )
    ]
    assert not ApplicationDraft.objects.get().values


def test_a_welsh_question_page_gets_welsh_words_for_the_domain_s_codes(client, visit):
    client.cookies["django_language"] = "cy"
    url = _visit_question(client)
    body = client.post(url, {"answer": "next tuesday"}).content.decode()
    assert _summary(body) == [
        (
            "#answer",
            "Rhowch “When should we visit?” fel dyddiad ac amser, er enghraifft 2026-03-02 07:30",
        )
    ]
    rooms = client.post(url, {"answer": "2026-07-01 09:30"})["Location"]
    body = client.post(rooms, {"answer": "25"}).content.decode()
    assert _summary(body) == [("#answer", "Rhaid i “Rooms” fod yn 20 neu lai")]
    body = client.post(rooms, {"answer": "lots"}).content.decode()
    assert _summary(body) == [("#answer", "Rhaid i “Rooms” fod yn rhif, fel 2")]


def test_a_local_time_is_kept_as_the_catalogue_reads_it_and_shown_back_local(client, visit):
    url = _visit_question(client)
    after = client.post(url, {"answer": "2026-07-01 09:30"})
    assert after.status_code == 303
    assert ApplicationDraft.objects.get().values == {"visit_at": "2026-07-01T08:30:00Z"}
    assert 'value="2026-07-01 09:30"' in client.get(url).content.decode()
    client.post(after["Location"], {"answer": "1,2"})  # a decimal comma is not twelve
    assert "rooms" not in ApplicationDraft.objects.get().values
    documents = client.post(after["Location"], {"answer": ""})["Location"]  # optional
    contact = client.post(documents, {"action": "continue"})["Location"]
    check = client.post(contact, {"email": "resident@example.org"})["Location"]
    assert "2026-07-01 09:30" in client.get(check).content.decode()
    assert client.post(check).status_code == 303
    assert Case.objects.get().values == {"visit_at": "2026-07-01T08:30:00Z"}


def test_an_answer_the_template_now_refuses_is_worded_on_check_your_answers(client, visit):
    url = _visit_question(client)
    client.post(url, {"answer": "2026-07-01 09:30"})
    draft = ApplicationDraft.objects.get()
    # Kept from before the question pages asked the catalogue: "next tuesday" was stored.
    draft.values = {"visit_at": "next tuesday"}
    draft.answered = ["visit_at", "rooms", "documents", "contact"]
    draft.contact_email = "resident@example.org"
    draft.save()
    client.cookies["django_language"] = "cy"
    response = client.post(f"/apply/draft/{draft.key}/check-your-answers")
    assert response.status_code == 400
    assert _summary(response.content.decode()) == [
        (
            f"/apply/draft/{draft.key}/question/visit_at?return=check",
            "Rhowch “When should we visit?” fel dyddiad ac amser, er enghraifft 2026-03-02 07:30",
        )
    ]
    assert not Case.objects.exists()


def test_the_contact_page_holds_a_phone_number_to_case_create_s_rule(client, visit):
    url = _visit_question(client)
    key = ApplicationDraft.objects.get().key
    client.post(url, {"answer": "2026-07-01 09:30"})
    client.cookies["django_language"] = "cy"
    response = client.post(f"/apply/draft/{key}/contact", {"email": "a@example.org", "phone": "12"})
    assert response.status_code == 400
    assert ("#phone", "Rhowch rif ffôn, fel 01632 960 001 neu +44 7700 900 982") in _summary(
        response.content.decode()
    )
    # Six digits is a number case_create keeps (short codes, extensions), so this page does.
    response = client.post(
        f"/apply/draft/{key}/contact", {"email": "a@example.org", "phone": "(01632) 96-0"}
    )
    assert response.status_code == 303


# The report form: every problem with an answer is worded from its code.


def test_a_welsh_report_form_words_the_domain_s_codes_in_welsh(client, council):
    client.cookies["django_language"] = "cy"
    body = client.post(
        REPORT_FORM, _report(**{"field-width_cm": "5000", "field-seen_at": "next tuesday"})
    ).content
    assert _summary(body.decode()) == [
        ("#field-width_cm", "Rhaid i “Width in cm” fod yn 1000 neu lai"),
        (
            "#field-seen_at",
            "Rhowch “When did you see it?” fel dyddiad ac amser, er enghraifft 2026-03-02 07:30",
        ),
    ]
    body = client.post(REPORT_FORM, _report(description="x" * 4001, phone="12")).content
    assert _summary(body.decode()) == [
        ("#description", "Rhaid i “Disgrifiad” fod yn 4000 nod neu lai")
    ]
    body = client.post(REPORT_FORM, _report(email="", phone="12")).content
    assert _summary(body.decode()) == [
        ("#phone", "Rhowch rif ffôn, fel 01632 960 001 neu +44 7700 900 982")
    ]
    body = client.post(REPORT_FORM, _report(lat="51.5", lng="0.5")).content
    assert _summary(body.decode()) == [
        (
            "#map",
            "Mae'r pin y tu allan i Testshire Council. Symudwch ef i mewn i'r ffin a "
            "ddangosir ar y map.",
        )
    ]
    photo = SimpleUploadedFile("notes.jpg", b"not an image")
    body = client.post(REPORT_FORM, _report(photos=[photo])).content
    assert _summary(body.decode()) == [
        (
            "#photos",
            "Nid yw notes.jpg yn llun y gallwn ei ddarllen: dewiswch lun JPEG, PNG neu HEIC",
        )
    ]
    assert not Case.objects.exists()


def test_the_report_form_reads_a_local_time_as_case_create_does(client, council):
    assert (
        client.post(REPORT_FORM, _report(**{"field-seen_at": "2026-07-01 09:30"})).status_code
        == 303
    )
    assert Case.objects.get().values["seen_at"] == "2026-07-01T08:30:00Z"


# Alerts: area_alert_subscribe decides; the page words its codes.


def test_a_welsh_alerts_form_words_the_service_s_codes(client, council):
    client.cookies["django_language"] = "cy"
    body = client.post(
        f"/alerts/{council.slug}/",
        {
            "where": "ward",
            "area": "999999",
            "services": ["nope"],
            "frequency": "hourly",
            "email": "",
        },
    ).content.decode()
    assert _summary(body) == [
        ("#area", "Dewiswch ward o'r rhestr"),
        ("#services", "Dewiswch wasanaethau o'r rhestr"),
        ("#frequency", "Dewiswch pa mor aml rydych eisiau clywed"),
        ("#email", "Rhowch eich cyfeiriad e-bost"),
    ]
    body = client.post(
        f"/alerts/{council.slug}/", {"frequency": "daily", "email": "nope"}
    ).content.decode()
    assert _summary(body) == [
        ("#where", "Dewiswch a ydych eisiau rhybuddion ar gyfer ward neu o gwmpas lle"),
        ("#email", "Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com"),
    ]
    # A distance the form does not offer but the service accepts is the service's call.
    response = client.post(
        f"/alerts/{council.slug}/",
        {
            "where": "point",
            "lat": "51.5",
            "lng": "-1.75",
            "radius": "300",
            "frequency": "daily",
            "email": "near@example.org",
        },
    )
    assert response.status_code == 302


# One copy of each rule.


def test_the_show_if_rule_has_one_home():
    from townsquare.portal import drafts

    assert not hasattr(drafts, "_is_shown")
    evaluating = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "townsquare").rglob("*.py")
        if "/tests/" not in path.as_posix()
        and re.search(r"""\[["']equals["']\]""", path.read_text(encoding="utf-8"))
    ]
    assert evaluating == ["townsquare/catalogue/fields.py"]


def test_the_question_pages_ask_what_case_create_checks(visit):
    from townsquare.catalogue.fields import clean_field_values
    from townsquare.portal.drafts import Flow

    fields = APPLICATION_TEMPLATE["fields"]
    flow = Flow(fields=fields)
    for answers in ({"child_name": "Sam", "sen": "yes"}, {"child_name": "Sam", "sen": "no"}):
        asked = {f["code"] for f in flow.visible(answers)}
        complete = {**answers, "sen_detail": "Uses a wheelchair"}
        assert asked == set(clean_field_values(fields, complete))


# Every code the citizen web can meet has words (else a Welsh page would show English).

QUESTION_CODES = [
    "required",
    "max_length",
    "null_character",
    "invalid_number",
    "min_value",
    "max_value",
    "invalid_datetime",
    "datetime_without_zone",
    "one_value",
    "invalid_choice",
    "invalid_choices",
    "invalid_postcode",
    "invalid_date",
    "date_incomplete",
    "date_not_real",
    "date_year_digits",
    "date_not_past",
    "date_not_past_or_today",
    "date_not_future",
    "date_not_future_or_today",
    "date_too_early",
    "date_too_late",
    "date_out_of_range",
]
# (argument, code) of case_create, case_create_with_documents, image_sanitise, Point.parse and
# area_alert_subscribe that a form of the citizen web can provoke.
INPUT_CODES = [
    ("location", "no_location"),
    ("location", "outside_council"),
    ("area", "unknown_area"),
    ("description", "max_length"),
    ("address", "max_length"),
    ("name", "max_length"),
    ("email", "invalid_email"),
    ("email", "required"),
    ("phone", "invalid_phone"),
    ("media", "too_many"),
    ("media", "file_too_large"),
    ("media", "image_format"),
    ("media", "unreadable_image"),
    ("media", "too_many_pixels"),
    ("documents", "too_many"),
    ("documents", "invalid_document"),
    ("area", "required"),
    ("radius", "out_of_range"),
    ("services", "invalid_choice"),
    ("frequency", "invalid_choice"),
    ("message", "required"),
    ("message", "not_waiting"),
    ("message", "max_length"),
    ("state", "illegal_transition"),
    ("state", "unknown_state"),
    *[
        (name, code)
        for name in ("lat", "long")
        for code in ("required", "invalid_number", "out_of_range")
    ],
]


def test_every_code_the_citizen_web_meets_has_words():
    codes_in_fields = {
        code
        for module in ("fields", "dates")
        for code in re.findall(
            r'_refuse\(\s*f?"[^"]*"\s*,\s*"(\w+)"',
            (ROOT / f"townsquare/catalogue/{module}.py").read_text(encoding="utf-8"),
            re.DOTALL,
        )
    }
    assert codes_in_fields == set(QUESTION_CODES)
    assert [c for c in QUESTION_CODES if not error_messages.has_words("", c, question=True)] == []
    assert [p for p in INPUT_CODES if not error_messages.has_words(*p)] == []
