"""Likely duplicates on the staff case page: ranked by place, time, words and service, with
the reasons shown; staff merge into one or say it is not a duplicate, and the decision is
counted (issue 19)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests import factories
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import Reporter, case_create
from townsquare.core.models import Event
from townsquare.geo.points import Point
from townsquare.staff.tests.conftest import sign_in
from townsquare.triage import duplicates
from townsquare.triage.models import SuggestionDecision
from townsquare.triage.selectors import acceptance_rates

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _report(council, lat, lng, description, service_code="pothole"):
    return case_create(
        council=council,
        service_code=service_code,
        actor=Principal.anonymous(),
        point=Point(lat, lng),
        values={"depth": "deep"} if service_code == "pothole" else {},
        description=description,
        reporter=Reporter(email="sam@example.org", name="Sam Reporter"),
    )


def _staff(council, role):
    user, _ = factories.make_staff_signed_in(council, role, None)
    client = Client()
    sign_in(client, user.email)
    return client


def test_scores_need_place_time_and_words_together():
    at = NOW
    new = duplicates.Report(
        1, 51.5, -1.75, at, "pothole", duplicates.words_of("deep pothole by the school")
    )
    same_spot = duplicates.Report(
        2,
        51.5,
        -1.75,
        at - dt.timedelta(days=1),
        "pothole",
        duplicates.words_of("pothole outside school"),
    )
    street_away = duplicates.Report(
        3, 51.5009, -1.75, at - dt.timedelta(days=1), "pothole", frozenset()
    )
    other_service = duplicates.Report(
        4, 51.5, -1.75, at - dt.timedelta(days=20), "graffiti", frozenset({"tag"})
    )
    far = duplicates.Report(5, 51.6, -1.75, at, "pothole", new.words)
    ranked = duplicates.rank(new, [same_spot, street_away, other_service, far])
    assert [m.key for m in ranked] == [2]
    assert ranked[0].shared_words == ["pothole", "school"] and ranked[0].distance_m == 0
    assert duplicates.score(new, far) is None
    assert duplicates.score(new, street_away).score < duplicates.MIN_SCORE


def test_staff_see_ranked_duplicates_with_reasons_and_decide(council, monkeypatch):
    from townsquare.core import clock

    real_now = clock.now
    earlier = real_now() - dt.timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: earlier)
    original = _report(council, 51.5, -1.75, "Deep pothole by the school gate")
    _report(council, 51.5004, -1.75, "Graffiti on the wall")  # 45 m away, nothing in common
    monkeypatch.setattr(clock, "now", real_now)
    new = _report(council, 51.50005, -1.75, "Pothole by the school gate is getting deeper")

    agent = _staff(council, "agent")
    page = agent.get(f"/staff/cases/{new.reference}").content.decode()
    panel = page.split('id="suggested-duplicates"', 1)[1].split("</section>", 1)[0]
    assert original.reference in panel
    assert "6 m away" in panel and "reported 2 days earlier" in panel
    assert "same service" in panel and "words in common: gate, pothole, school" in panel
    assert "Merge into" not in panel  # agents cannot merge; they can say it is not one

    response = agent.post(
        f"/staff/cases/{new.reference}/duplicate-suggestion",
        {"original": original.reference, "decision": "reject"},
    )
    assert response.status_code == 302
    decision = SuggestionDecision.objects.get()
    assert not decision.accepted and decision.suggested == original.reference
    assert Event.objects.filter(kind="triage.suggestion_decided").exists()
    page = agent.get(f"/staff/cases/{new.reference}").content.decode()
    assert 'id="suggested-duplicates"' not in page

    third = _report(council, 51.5, -1.75001, "Pothole by the school")
    supervisor = _staff(council, "supervisor")
    response = supervisor.post(
        f"/staff/cases/{third.reference}/duplicate-suggestion",
        {"original": original.reference, "decision": "accept"},
    )
    assert response.status_code == 302
    third = Case.objects.get(pk=third.pk)
    assert third.duplicate_of_id == original.id and not third.is_open
    principal = factories.make_staff(council, "agent")[1]
    rates = acceptance_rates(principal=principal, council_id=council.id)
    assert [(r.kind, r.accepted, r.decided) for r in rates] == [("duplicate", 1, 2)]
    board = supervisor.get("/staff/dashboards/").content.decode()
    table = board.split('id="suggestions-accepted"', 1)[1].split("</table>", 1)[0]
    assert "Duplicate" in table and "50%" in table


def test_another_council_cannot_decide_on_a_case(council, other_council):
    new = _report(council, 51.5, -1.75, "Pothole")
    outsider = _staff(other_council, "supervisor")
    response = outsider.post(
        f"/staff/cases/{new.reference}/duplicate-suggestion",
        {"original": new.reference, "decision": "accept"},
    )
    assert response.status_code in (403, 404)
    assert not SuggestionDecision.objects.exists()
