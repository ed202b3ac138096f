"""Autofill tokens on template questions (WCAG 1.3.5): valid WHATWG tokens only, the right
ones for dates, and what a question's type implies."""

from __future__ import annotations

import pytest

from townsquare.catalogue.autocomplete import (
    autocomplete_for,
    autocomplete_problem,
    date_part_tokens,
    is_valid,
)


@pytest.mark.parametrize(
    "token",
    [
        "name",
        "given-name",
        "family-name",
        "email",
        "tel",
        "address-line1",
        "address-line2",
        "address-level2",
        "postal-code",
        "bday",
        "bday-day",
        "off",
        "on",
        "home tel",
        "work email",
        "shipping postal-code",
        "section-child given-name",
        "section-a billing address-line1",
    ],
)
def test_whatwg_tokens_are_valid(token):
    assert is_valid(token)


@pytest.mark.parametrize(
    "token",
    [
        "postcode",
        "zip",
        "address",
        "home name",
        "mobile postal-code",
        "section- name",
        "",
        "tel tel",
        "name off",
        "<script>",
    ],
)
def test_anything_else_is_refused(token):
    assert not is_valid(token)


def test_problems_name_the_token_and_the_rule():
    assert autocomplete_problem({"datatype": "string", "autocomplete": "postcode"}) == (
        "'postcode' is not an HTML autocomplete token (such as name, email, postal-code)"
    )
    assert autocomplete_problem({"datatype": "date", "autocomplete": "bday"}) is None
    assert "date question" in autocomplete_problem({"datatype": "date", "autocomplete": "name"})
    assert autocomplete_problem({"datatype": "singlevaluelist", "autocomplete": "sex"})
    assert autocomplete_problem({"datatype": "string"}) is None


def test_a_postcode_question_implies_postal_code():
    assert autocomplete_for({"datatype": "postcode"}) == "postal-code"
    assert autocomplete_for({"datatype": "string", "autocomplete": "name"}) == "name"
    assert autocomplete_for({"datatype": "string"}) == ""


def test_a_date_of_birth_fills_its_three_inputs():
    assert date_part_tokens("bday") == {
        "day": "bday-day",
        "month": "bday-month",
        "year": "bday-year",
    }
    assert date_part_tokens("") == {"day": "", "month": "", "year": ""}
