# ruff: noqa: F811 - the consultation fixtures are imported from the app's conftest
"""The citizen and staff pages of a consultation, in process: answering without JavaScript
(a plain form post) in English and Welsh, the staff analysis, the outcome with its linked
service version and figures, and the open results without personal data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.test import Client

from tests import factories
from townsquare.catalogue.models import ServiceTemplate
from townsquare.consultations.models import Answer, Response
from townsquare.consultations.services import (
    answer_text_publish,
    consultation_move,
    outcome_change_add,
    outcome_publish,
    response_consider,
    response_submit,
)
from townsquare.consultations.tests.conftest import (  # noqa: F401 (fixtures)
    draft,
    open_consultation,
    runner,
)
from townsquare.staff.tests.conftest import sign_in

FORM = {
    "answer-often": "every-week",
    "answer-garden": "agree",
    "answer-priorities-recycling": "2",
    "answer-priorities-food-waste": "1",
    "answer-priorities-glass": "3",
    "answer-anything": "My name is Jo Bloggs of 1 High Street",
}


def _url(c, tail: str = "") -> str:
    return f"/consultations/{c.council.slug}/{c.slug}/{tail}"


def test_a_resident_answers_without_javascript(open_consultation):
    page = Client().get(_url(open_consultation))
    assert page.status_code == 200
    assert b'name="answer-priorities-glass"' in page.content
    west = open_consultation.council.areas.get(name="West ward")
    sent = Client().post(_url(open_consultation), {**FORM, "area": str(west.pk)})
    assert sent.status_code == 302 and sent["Location"].endswith("/thanks")
    response = Response.objects.get(consultation=open_consultation)
    assert response.area == west
    answers = {a.question.code: a.value for a in response.answers.select_related("question")}
    assert answers["priorities"] == ["food-waste", "recycling", "glass"]


def test_a_resident_answers_in_welsh_and_errors_are_in_welsh(open_consultation):
    client = Client(headers={"accept-language": "cy"})
    page = client.get(_url(open_consultation))
    text = page.content.decode()
    assert "Casgliadau biniau" in text and "Bob pythefnos" in text and 'lang="cy"' in text
    refused = client.post(
        _url(open_consultation), {**FORM, "answer-often": "", "answer-priorities-glass": "1"}
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "govuk-error-summary" in body and "Pa mor aml y dylen ni gasglu?" in body
    assert "There is a problem" not in body
    sent = client.post(_url(open_consultation), FORM)
    assert sent.status_code == 302


def test_staff_analyse_and_publish_an_outcome_with_figures(open_consultation, runner):
    council = open_consultation.council
    response_submit(
        consultation=open_consultation, answers={"often": "every-week"}, address="192.0.2.1"
    )
    consultation_move(consultation=open_consultation, to_state="closed", actor=runner)
    c = consultation_move(consultation=open_consultation, to_state="analysis", actor=runner)
    user, _ = factories.make_staff_signed_in(council, "agent", "analyst@testshire.test")
    staff = Client()
    sign_in(staff, user.email)
    assert (
        staff.post(f"/staff/consultations/{c.pk}/responses", {"name": "Frequency"}).status_code
        == 302
    )
    page = staff.get(f"/staff/consultations/{c.pk}/responses")
    assert page.status_code == 200 and b"Frequency" in page.content
    theme = c.themes.get()
    marked = staff.post(
        f"/staff/consultations/{c.pk}/responses/1", {"theme": [str(theme.pk)], "considered": "yes"}
    )
    assert marked.status_code == 302
    response = Response.objects.get(consultation=c)
    assert response.considered and list(response.tags.values_list("theme_id", flat=True)) == [
        theme.pk
    ]
    # An agent analyses; publishing is for a supervisor.
    refused = staff.post(f"/staff/consultations/{c.pk}/", {"op": "publish", "outcome": "Done"})
    assert refused.status_code == 400
    service = ServiceTemplate.objects.get(council=council, code="pothole")
    outcome_change_add(
        consultation=c,
        you_said="Weekly",
        we_did="We now collect weekly",
        version=service.current_version,
        changed_on=dt.date(2026, 11, 1),
        actor=runner,
    )
    outcome_publish(consultation=c, outcome="We listened", actor=runner)
    public = Client().get(_url(c)).content.decode()
    assert "You said, we did" in public and "We now collect weekly" in public
    assert f"{service.name}, version {service.current_version.number}" in public
    assert "Typical days to fix" in public


def test_other_councils_staff_cannot_see_it(open_consultation, other_council):
    user, _ = factories.make_staff_signed_in(other_council, "council_admin", "boss@other.test")
    staff = Client()
    sign_in(staff, user.email)
    assert staff.get(f"/staff/consultations/{open_consultation.pk}/").status_code == 404
    assert staff.get(f"/staff/consultations/{open_consultation.pk}/responses").status_code == 404


def test_a_draft_is_not_public(draft):
    assert Client().get(_url(draft)).status_code == 404
    assert b"Bin collections" not in Client().get("/consultations/").content


PERSONAL = ("jo bloggs", "high street", "resident@example.org", "203.0.113.9")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_open_results_hold_no_personal_data(open_consultation, runner, fmt):
    """The export names its columns; nothing that says who answered leaves the council."""
    c = open_consultation
    user, _ = factories.make_staff(c.council, "agent", "resident@example.org")
    signed = response_submit(
        consultation=c,
        answers={"often": "every-week", "anything": "I am Jo Bloggs of 1 High Street"},
        address="203.0.113.9",
        user_id=user.pk,
    )
    response_submit(
        consultation=c,
        answers={"often": "every-two-weeks", "anything": "Less noise please"},
        address="203.0.113.9",
        email="resident@example.org",
    )
    assert Client().get(_url(c, f"responses.{fmt}")).status_code == 404  # not while open
    consultation_move(consultation=c, to_state="closed", actor=runner)
    # The council publishes one free-text answer, with the personal data taken out.
    answer = Answer.objects.get(response=signed, question__code="anything")
    answer_text_publish(
        answer=answer, text="I am [name removed] of [address removed]", actor=runner
    )
    download = Client().get(_url(c, f"responses.{fmt}"))
    assert download.status_code == 200
    body = b"".join(download.streaming_content).decode()
    lowered = body.lower()
    for personal in PERSONAL:
        assert personal not in lowered
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body)))
        columns = set(rows[0])
    else:
        rows = [json.loads(line) for line in body.splitlines()]
        columns = set().union(*rows)
    assert columns <= {
        "consultation",
        "response",
        "ward",
        "submitted_on",
        "often",
        "garden",
        "priorities",
        "anything",
    }
    assert len(rows) == 2
    assert rows[0]["anything"] == "I am [name removed] of [address removed]"
    assert not rows[1].get("anything")  # never published: left out
    for field in ("user_id", "email", "person_digest", "confirm_token", "considered_by"):
        assert field not in columns


def test_outcome_cannot_be_published_with_responses_not_considered(open_consultation, runner):
    response_submit(
        consultation=open_consultation, answers={"often": "every-week"}, address="192.0.2.1"
    )
    consultation_move(consultation=open_consultation, to_state="closed", actor=runner)
    consultation_move(consultation=open_consultation, to_state="analysis", actor=runner)
    user, _ = factories.make_staff_signed_in(
        open_consultation.council, "supervisor", "sup@testshire.test"
    )
    staff = Client()
    sign_in(staff, user.email)
    refused = staff.post(
        f"/staff/consultations/{open_consultation.pk}/", {"op": "publish", "outcome": "Done"}
    )
    assert refused.status_code == 400 and b"not yet marked as considered" in refused.content
    response_consider(
        response=Response.objects.get(consultation=open_consultation), considered=True, actor=runner
    )
    done = staff.post(
        f"/staff/consultations/{open_consultation.pk}/", {"op": "publish", "outcome": "Done"}
    )
    assert done.status_code == 302


def test_results_show_opinion_groups_in_plain_words(open_consultation, runner):
    from townsquare.consultations.services import question_add, responses_import

    c = open_consultation
    c.state = "draft"
    c.save()
    question_add(consultation=c, kind="statement", code="fines", label="Fine people", actor=runner)
    question_add(consultation=c, kind="statement", code="texts", label="Send texts", actor=runner)
    c.state = "open"
    c.save()
    rows = []
    for i in range(40):
        camp = i % 2
        rows.append(
            {
                "answers": {
                    "often": "every-week",
                    "garden": "agree" if camp else "disagree",
                    "fines": "agree" if camp else "disagree",
                    "texts": "agree",
                }
            }
        )
    responses_import(consultation=c, rows=rows, actor=runner)
    page = Client().get(_url(c, "results")).content.decode()
    assert "Groups of people who think alike" in page
    assert "Group 1: 20 people" in page and "Group 2: 20 people" in page
    assert "“Send texts”: at least 100% in every group agreed." in page
    welsh = Client(headers={"accept-language": "cy"}).get(_url(c, "results")).content.decode()
    assert "Grwpiau o bobl sy'n meddwl yn debyg" in welsh


def test_staff_publish_a_free_text_answer_with_personal_data_removed(open_consultation, runner):
    response_submit(
        consultation=open_consultation,
        answers={"often": "every-week", "anything": "Jo Bloggs here"},
        address="192.0.2.1",
    )
    consultation_move(consultation=open_consultation, to_state="closed", actor=runner)
    user, _ = factories.make_staff_signed_in(
        open_consultation.council, "supervisor", "editor@testshire.test"
    )
    staff = Client()
    sign_in(staff, user.email)
    base = f"/staff/consultations/{open_consultation.pk}/responses"
    assert b"Publish this answer" in staff.get(base).content
    done = staff.post(f"{base}/1/publish/anything", {"text": "[name removed] here"})
    assert done.status_code == 302
    answer = Answer.objects.get(question__code="anything")
    assert answer.published_text == "[name removed] here"
    # Not a question whose answers are published.
    staff.post(f"{base}/1/publish/often", {"text": "x"})
    assert Answer.objects.get(question__code="often").published_text == ""
