"""Personal data in free text: the rules on hand-written cases, and the figures on the
labelled synthetic set (issue 19: recall at least 0.95, precision at least 0.9, 300+ texts)."""

from __future__ import annotations

import pytest

from townsquare.triage import personal_data
from townsquare.triage.evaluation import personal_data_figures


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Call me on 07700 900123 please", "phone"),
        ("ring +44 (0)113 496 0000.", "phone"),
        ("text +447700900321", "phone"),
        ("tel 0044 7700 900 111", "phone"),
        ("email jo.bloggs@example.co.uk about it", "email"),
        ("My name is Sarah O'Connor and the bin is missing", "name"),
        ("NHS number 943 476 5919", "nhs_number"),
        ("NI: AB 12 34 56 C", "ni_number"),
        ("a car AB12 CDE parked for weeks", "vehicle_registration"),
        ("I live at 14 Acacia Avenue, Leeds LS6 2AB", "home_address"),
        ("card 4111 1111 1111 1111 was charged", "card_number"),
    ],
)
def test_each_kind_is_found_and_hidden(text, kind):
    redaction = personal_data.redact(text)
    assert redaction.kinds == [kind]
    assert personal_data.PLACEHOLDER[kind] in redaction.public_text


@pytest.mark.parametrize(
    "text",
    [
        "Lamp post 23 out since 2019, the 240 litre bin is split, near LS6 2AB",
        "Reported on 12/03/2024 at 17:30, about 150 metres from junction 27",
        "Number 42 bus stop, speed limit 30 mph, costs £120.50",
        "The sign says call 0800 if in danger",
        "Outside units 12-16 on the estate",
    ],
)
def test_numbers_that_reports_really_hold_are_left_alone(text):
    assert personal_data.redact(text).public_text == text


def test_overlapping_findings_hide_the_text_once():
    redaction = personal_data.redact("Call 07700 900123 or 07700 900124.")
    assert redaction.public_text == "Call [phone number removed] or [phone number removed]."
    assert redaction.kinds == ["phone"]


def test_the_labelled_set_meets_the_issue_figures():
    figures = personal_data_figures()
    assert figures["texts"] >= 300
    assert figures["texts_without_personal_data"] >= 50
    assert figures["recall"] >= 0.95
    assert figures["precision"] >= 0.9
