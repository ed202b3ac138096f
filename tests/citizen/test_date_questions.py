"""A date question on the apply pages, without JavaScript: the GOV.UK date input (one fieldset,
its legend the page's heading), GOV.UK's error messages with only the wrong parts marked and
the summary linking to the first of them, the date in words on "Check your answers", in
English and Welsh; and the school transport template's address and autofill tokens."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from townsquare.catalogue.documents import load_template_file
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def transport(council):
    document = load_template_file(settings.SERVICE_TEMPLATE_LIBRARY / "school_transport.yaml")
    template_publish(council=council, document=document, actor=Actor.system("tests"))
    return document


def _question_url(client, code: str) -> str:
    draft = client.post("/apply/testshire/school_transport/")
    first = client.get(draft["Location"])["Location"]
    return first.rsplit("/", 1)[0] + "/" + code


def _date(day: str, month: str, year: str) -> dict[str, str]:
    return {"answer-day": day, "answer-month": month, "answer-year": year, "action": "continue"}


def _inputs_in_error(page: str) -> list[str]:
    return re.findall(r'govuk-input--error" id="([\w-]+)"', page)


def test_the_date_input_is_one_fieldset_with_day_month_and_year(client, transport):
    page = client.get(_question_url(client, "child_date_of_birth")).content.decode()
    assert '<fieldset class="govuk-fieldset" role="group" aria-describedby="answer-hint">' in page
    assert '<h1 class="govuk-fieldset__heading">Child&#x27;s date of birth</h1>' in page
    assert "For example, 27 3 2015" in page
    for part, label, width in (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4)):
        assert (
            f'<label class="govuk-label govuk-date-input__label" for="answer-{part}">{label}'
            in page
        )
        assert (
            f'govuk-input--width-{width}" id="answer-{part}" name="answer-{part}" type="text" '
            'inputmode="numeric"' in page
        )
    # A child's birthday is not the person's own: no bday token for the browser to misfill.
    assert "bday" not in page


def test_31_february_is_refused_and_only_the_day_is_marked(client, transport):
    url = _question_url(client, "child_date_of_birth")
    response = client.post(url, _date("31", "2", "2015"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Child&#x27;s date of birth must be a real date" in page
    assert '<a href="#answer-day">' in page
    assert _inputs_in_error(page) == ["answer-day"]
    # What was typed stays.
    assert re.search(r'id="answer-month" name="answer-month" [^>]* value="2"', page)
    assert "govuk-form-group--error" in page


@pytest.mark.parametrize(
    ("typed", "message", "marked"),
    [
        (("27", "", "2015"), "Child&#x27;s date of birth must include a month", ["answer-month"]),
        (
            ("", "", "2015"),
            "Child&#x27;s date of birth must include a day and month",
            ["answer-day", "answer-month"],
        ),
        (
            ("", "", ""),
            "Enter child&#x27;s date of birth",
            ["answer-day", "answer-month", "answer-year"],
        ),
        (("27", "13", "2015"), "Child&#x27;s date of birth must be a real date", ["answer-month"]),
        (("27", "3", "15"), "Year must include 4 numbers", ["answer-year"]),
        (
            ("aa", "bb", "cccc"),
            "Child&#x27;s date of birth must be a real date",
            ["answer-day", "answer-month", "answer-year"],
        ),
        (
            ("27", "3", "1990"),
            "Child&#x27;s date of birth must be between",
            ["answer-day", "answer-month", "answer-year"],
        ),
        (("9" * 3000, "1", "2015"), "must be a real date", ["answer-day"]),
    ],
)
def test_gov_uk_messages_mark_the_wrong_parts(client, transport, typed, message, marked):
    response = client.post(_question_url(client, "child_date_of_birth"), _date(*typed))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert _inputs_in_error(page) == marked
    assert f'<a href="#{marked[0]}">' in page


def test_a_real_date_goes_through_to_check_your_answers_in_words(client, transport):
    url = _question_url(client, "child_date_of_birth")
    response = client.post(url, _date("27", "3", "2015"))
    assert response.status_code == 303
    # Back on the page, the stored answer fills the three inputs again.
    page = client.get(url).content.decode()
    assert 'name="answer-day" type="text" inputmode="numeric" spellcheck="false" value="27"' in page
    check = client.get(url.rsplit("/question/", 1)[0] + "/check-your-answers").content.decode()
    assert "27 March 2015" in check


def test_in_welsh(client, transport):
    client.cookies["django_language"] = "cy"
    url = _question_url(client, "child_date_of_birth")
    page = client.post(url, _date("31", "2", "2015")).content.decode()
    assert "Rhaid i “Dyddiad geni&#x27;r plentyn” fod yn ddyddiad go iawn" in page
    assert ">Diwrnod</label>" in page and ">Blwyddyn</label>" in page
    assert client.post(url, _date("27", "3", "2015")).status_code == 303
    check = client.get(url.rsplit("/question/", 1)[0] + "/check-your-answers").content.decode()
    assert "27 Mawrth 2015" in check


def test_the_home_address_and_the_applicants_name_are_asked_with_autofill(client, transport):
    codes = [f["code"] for f in sorted(transport["fields"], key=lambda f: f["order"])]
    assert codes[:7] == [
        "parent_name",
        "child_name",
        "child_date_of_birth",
        "home_address_line_1",
        "home_address_line_2",
        "home_town",
        "home_postcode",
    ]
    url = _question_url(client, "parent_name")
    assert 'autocomplete="name"' in client.get(url).content.decode()
    for code, token in (
        ("home_address_line_1", "address-line1"),
        ("home_address_line_2", "address-line2"),
        ("home_town", "address-level2"),
        ("home_postcode", "postal-code"),
    ):
        page = client.get(url.rsplit("/", 1)[0] + "/" + code).content.decode()
        assert f'autocomplete="{token}"' in page, code
    postcode = url.rsplit("/", 1)[0] + "/home_postcode"
    refused = client.post(postcode, {"answer": "LS6", "action": "continue"})
    assert refused.status_code == 400
    assert "Enter a full UK postcode for “Postcode”, like BS1 5TR" in refused.content.decode()
    assert client.post(postcode, {"answer": "ls61an", "action": "continue"}).status_code == 303
    check = client.get(url.rsplit("/question/", 1)[0] + "/check-your-answers").content.decode()
    assert "LS6 1AN" in check
