from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from townsquare.consultations.models import Response, State
from townsquare.consultations.selectors import (
    analysis_get,
    consultation_for_staff,
    outcome_changes,
    results_get,
)
from townsquare.consultations.services import (
    consultation_move,
    outcome_change_add,
    outcome_publish,
    question_add,
    response_confirm,
    response_consider,
    response_submit,
    response_tag,
    theme_add,
)
from townsquare.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from townsquare.core.models import Event
from townsquare.core.ratelimit import RateLimited

ANSWERS = {
    "often": "every-week",
    "garden": "agree",
    "priorities": ["food-waste", "recycling", "glass"],
    "anything": "More bins on the high street",
}


def test_lifecycle_from_draft_to_published_outcome(council, runner, agent, open_consultation):
    c = open_consultation
    west = council.areas.get(name="West ward")
    first = response_submit(consultation=c, answers=ANSWERS, address="203.0.113.1", area_id=west.pk)
    response_submit(
        consultation=c, answers={**ANSWERS, "garden": "disagree"}, address="203.0.113.2"
    )
    with pytest.raises(Conflict):
        theme_add(consultation=c, name="Cost", actor=agent)  # analysis waits for the close
    c = consultation_move(consultation=c, to_state="closed", actor=runner)
    with pytest.raises(Conflict):
        response_submit(consultation=c, answers=ANSWERS, address="203.0.113.3")
    c = consultation_move(consultation=c, to_state="analysis", actor=runner)
    cost = theme_add(consultation=c, name="Cost", actor=agent)
    response_tag(response=first, theme_ids=[cost.pk], actor=agent)
    response_consider(response=first, considered=True, actor=agent)

    analysis = analysis_get(consultation=c)
    assert (analysis.responses, analysis.considered, analysis.untagged) == (2, 1, 1)
    assert [(t.name, n) for t, n in analysis.by_theme] == [("Cost", 1)]
    assert dict(analysis.by_ward) == {"West ward": 1, "": 1}

    service = council.services.get(code="pothole") if hasattr(council, "services") else None
    from townsquare.catalogue.models import ServiceTemplate

    service = ServiceTemplate.objects.get(council=council, code="pothole")
    outcome_change_add(
        consultation=c,
        you_said="Collect food waste first",
        we_did="Food waste is collected every week",
        version=service.current_version,
        changed_on=dt.date(2026, 11, 1),
        actor=runner,
    )
    with pytest.raises(Conflict) as refused:
        outcome_publish(consultation=c, outcome="We listened", actor=runner)
    assert refused.value.code == "not_considered"
    second = Response.objects.get(consultation=c, number=2)
    response_consider(response=second, considered=True, actor=agent)
    c = outcome_publish(consultation=c, outcome="We listened", actor=runner)
    assert c.state == State.PUBLISHED
    [change] = outcome_changes(consultation=c)
    assert change.version == service.current_version and change.service_id == service.pk

    kinds = list(
        Event.objects.filter(stream="consultation", stream_id=c.pk).values_list("kind", flat=True)
    )
    assert kinds.count("consultation.response_considered") == 2
    assert "consultation.outcome_published" in kinds and "consultation.response_tagged" in kinds


def test_results_count_each_kind_of_question(open_consultation):
    c = open_consultation
    response_submit(consultation=c, answers=ANSWERS, address="203.0.113.1")
    response_submit(
        consultation=c,
        answers={
            "often": "every-two-weeks",
            "garden": "pass",
            "priorities": ["glass", "food-waste", "recycling"],
        },
        address="203.0.113.2",
    )
    results = results_get(consultation=c, language="cy")
    by_code = {r.question.code: r for r in results.questions}
    assert results.responses == 2
    assert by_code["often"].label == "Pa mor aml y dylen ni gasglu?"
    assert by_code["often"].counts == [("Bob wythnos", 1), ("Bob pythefnos", 1)]
    assert by_code["garden"].counts == [("Cytuno", 1), ("Anghytuno", 0), ("Pasio", 1)]
    assert by_code["priorities"].counts[0] == ("Food waste", 1.5)
    assert by_code["anything"].answered == 1 and by_code["anything"].counts == []


def test_answers_are_checked_by_the_catalogue_rules_and_the_consultation_own(open_consultation):
    with pytest.raises(InvalidInput) as bad:
        response_submit(
            consultation=open_consultation,
            answers={"often": "daily", "garden": "maybe", "priorities": ["glass"]},
            address="203.0.113.1",
        )
    assert {k: p[0].code for k, p in bad.value.problems.items()} == {
        "often": "invalid_choice",
        "garden": "invalid_choice",
        "priorities": "invalid_ranking",
    }
    with pytest.raises(InvalidInput) as missing:
        response_submit(consultation=open_consultation, answers={}, address="203.0.113.1")
    assert missing.value.problems["often"][0].code == "required"


def test_a_person_answers_once_and_an_address_has_a_budget(open_consultation):
    user, _ = factories.make_staff(open_consultation.council, "agent", "resident@example.org")
    response_submit(
        consultation=open_consultation, answers=ANSWERS, address="198.51.100.7", user_id=user.pk
    )
    with pytest.raises(Conflict) as again:
        response_submit(
            consultation=open_consultation, answers=ANSWERS, address="198.51.100.8", user_id=user.pk
        )
    assert again.value.code == "already"
    with pytest.raises(Conflict):
        response_submit(
            consultation=open_consultation,
            answers=ANSWERS,
            address="198.51.100.9",
            email="Someone@Example.org",
        )
        response_submit(
            consultation=open_consultation,
            answers=ANSWERS,
            address="198.51.100.9",
            email="someone@example.org",
        )
    for _ in range(20):
        response_submit(consultation=open_consultation, answers=ANSWERS, address="192.0.2.1")
    with pytest.raises(RateLimited):
        response_submit(consultation=open_consultation, answers=ANSWERS, address="192.0.2.1")


def test_email_confirmation_makes_an_answer_count(open_consultation):
    open_consultation.email_confirmation = True
    open_consultation.save()
    with pytest.raises(InvalidInput) as no_email:
        response_submit(consultation=open_consultation, answers=ANSWERS, address="192.0.2.1")
    assert no_email.value.problems["email"][0].code == "required"
    response = response_submit(
        consultation=open_consultation, answers=ANSWERS, address="192.0.2.1", email="a@example.org"
    )
    assert not response.confirmed
    assert results_get(consultation=open_consultation).responses == 0
    response_confirm(token=response.confirm_token)
    assert results_get(consultation=open_consultation).responses == 1
    with pytest.raises(NotFound):
        response_confirm(token="not-a-token")


def test_only_a_draft_takes_questions_and_only_supervisors_run(draft, runner, agent):
    with pytest.raises(PermissionDenied):
        consultation_move(consultation=draft, to_state="open", actor=agent)
    with pytest.raises(Conflict):
        consultation_move(consultation=draft, to_state="closed", actor=runner)
    consultation_move(consultation=draft, to_state="open", actor=runner)
    with pytest.raises(Conflict):
        question_add(consultation=draft, kind="text", label="Late", actor=runner)


def test_councils_see_only_their_own(draft, other_council):
    _, stranger = factories.make_staff(other_council, "council_admin")
    with pytest.raises(PermissionDenied):
        consultation_for_staff(principal=stranger, council=draft.council, consultation_id=draft.pk)
    with pytest.raises(NotFound):
        consultation_for_staff(principal=stranger, council=other_council, consultation_id=draft.pk)
