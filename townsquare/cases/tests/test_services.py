from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import make_staff, template
from townsquare.accounts.principal import Principal
from townsquare.cases.models import Case
from townsquare.cases.services import (
    Reporter,
    case_add_internal_note,
    case_assign,
    case_create,
    case_merge_duplicate,
    case_post_public_update,
    case_transition,
    cases_anonymise_expired,
)
from townsquare.cases.sla import due_times
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from townsquare.core.models import Event
from townsquare.councils.models import Team
from townsquare.geo.points import Point, h3_cells

pytestmark = pytest.mark.django_db
CITIZEN = Principal.anonymous()
INSIDE = Point(51.5, -1.75)  # west ward of Testshire


def new_report(council=None, **kwargs):
    defaults = dict(
        service_code="pothole",
        actor=CITIZEN,
        point=INSIDE,
        values={"depth": "deep"},
        description="Big hole by the bus stop",
        reporter=Reporter(email="Sam@Example.org", name="Sam"),
    )
    defaults.update(kwargs)
    return case_create(council=council, **defaults)


def counts():
    return Case.objects.count(), Event.objects.count()


def test_create_routes_by_point_and_records_everything(council):
    case = new_report()
    assert case.council == council
    assert re.fullmatch(r"TST-\d\d-000001", case.reference)
    assert case.state == "submitted" and case.is_open and case.is_public
    assert case.values == {"depth": "deep"}
    assert case.area.name == "West ward"
    assert case.team.code == "highways"
    assert case.reporter_email == "sam@example.org"
    assert (case.h3_r7, case.h3_r9, case.h3_r11) == tuple(h3_cells(INSIDE).values())
    # Counted in working days (weekends and bank holidays skipped): see test_sla.
    assert (case.response_due_at, case.resolve_due_at) == due_times(
        {"first_response_hours": 24, "close_hours": 120}, case.created_at
    )
    event = Event.objects.get(stream="case", stream_id=case.id)
    assert event.kind == "case.created" and event.council_id == council.id
    assert event.payload["reference"] == case.reference
    assert new_report().reference.endswith("000002")


def test_application_needs_no_location(council):
    case = case_create(
        council=council,
        service_code="school_transport",
        actor=CITIZEN,
        values={"child_name": "Sam", "sen": "no"},
    )
    assert case.kind == "application" and not case.is_public and case.lat is None


def test_report_by_area_description_is_marked_approximate(council):
    area = council.areas.get(code="testshire-east")
    case = new_report(
        council=council,
        point=None,
        area_id=area.id,
        address="Corner of Mill Lane and the High Street",
    )
    # Placed at a point inside its area, so it shows on maps, and marked approximate.
    assert case.location_approximate and case.area == area and case.lat is not None


def test_case_keeps_its_template_version(council):
    first = new_report()
    template_publish(
        council=council, document=template(name="Pothole (new form)"), actor=Actor.system()
    )
    second = new_report()
    first.refresh_from_db()
    assert first.service_version.number == 1
    assert second.service_version.number == 2


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"point": Point(10.0, 10.0)}, "outside_councils", "location"),
        ({"values": {}}, "invalid_fields", "depth"),
        ({"values": {"depth": "abyss"}}, "invalid_fields", "depth"),
        ({"description": "x" * 4001}, "too_long", "description"),
        ({"point": None}, "no_location", "location"),
        ({"reporter": Reporter(email="not-an-email")}, "bad_reporter", "email"),
        ({"reporter": Reporter(phone="call me")}, "bad_reporter", "phone"),
    ],
)
def test_create_refusals_leave_nothing_behind(council, kwargs, code, field):
    before = counts()
    with pytest.raises(InvalidInput) as info:
        new_report(council=council if kwargs.get("point", INSIDE) is None else None, **kwargs)
    assert info.value.code == code
    assert field in info.value.errors
    assert counts() == before


def test_create_refuses_point_outside_the_named_council(council, other_council):
    with pytest.raises(InvalidInput) as info:
        new_report(council=other_council)
    assert info.value.code == "outside_council"


def test_create_refuses_unknown_service(council):
    with pytest.raises(NotFound):
        new_report(service_code="unicorns")


def test_transition_follows_the_workflow_and_roles(council, agent, supervisor):
    case = new_report()
    case = case_transition(case=case, to_state="in_progress", actor=agent, message="On it")
    assert case.state == "in_progress" and case.is_open and case.responded_at
    case = case_transition(case=case, to_state="fixed", actor=agent)
    assert not case.is_open and case.closed_at is not None
    with pytest.raises(PermissionDenied):
        case_transition(case=case, to_state="in_progress", actor=agent)  # reopen: supervisor
    case = case_transition(case=case, to_state="in_progress", actor=supervisor)
    assert case.is_open and case.closed_at is None
    kinds = list(
        Event.objects.filter(stream="case", stream_id=case.id).values_list("kind", flat=True)
    )
    assert kinds == ["case.created"] + ["case.transitioned"] * 3


def test_illegal_and_unknown_transitions_are_refused(council, agent):
    case = new_report()
    before = counts()
    with pytest.raises(InvalidInput) as info:
        case_transition(case=case, to_state="submitted", actor=agent)
    assert info.value.code == "illegal_transition"
    with pytest.raises(InvalidInput) as info:
        case_transition(case=case, to_state="exploded", actor=agent)
    assert info.value.code == "unknown_state"
    assert counts() == before


def test_stale_revision_gets_a_conflict_and_changes_nothing(council, agent):
    case = new_report()
    seen = case.revision
    case_post_public_update(
        case=case, actor=agent, message="We are looking", expected_revision=seen
    )
    with pytest.raises(Conflict):
        case_transition(case=case, to_state="fixed", actor=agent, expected_revision=seen)
    case.refresh_from_db()
    assert case.state == "submitted"


def test_assign_checks_team_and_person_belong_to_the_council(council, other_council, agent):
    case = new_report()
    colleague, _ = make_staff(council, "agent", email="colleague@testshire.test")
    outsider, _ = make_staff(other_council, "agent", email="outsider@otherton.test")
    team = Team.objects.get(council=council, code="education")
    case = case_assign(case=case, actor=agent, team=team, assignee_id=colleague.id)
    assert case.team == team and case.assignee == colleague
    with pytest.raises(InvalidInput):
        case_assign(
            case=case, actor=agent, team=Team.objects.get(council=other_council, code="highways")
        )
    with pytest.raises(InvalidInput):
        case_assign(case=case, actor=agent, assignee_id=outsider.id)
    event = Event.objects.filter(kind="case.assigned").get()
    assert event.visibility == "internal"


def test_public_update_and_internal_note(council, agent):
    case = new_report()
    case_post_public_update(case=case, actor=agent, message="Booked for Tuesday")
    case_add_internal_note(case=case, actor=agent, note="Reporter is a councillor")
    events = {e.kind: e for e in Event.objects.filter(stream_id=case.id)}
    assert events["case.public_update"].visibility == "public"
    assert events["case.internal_note"].visibility == "internal"
    assert events["case.internal_note"].actor_label == "agent person"
    with pytest.raises(InvalidInput):
        case_post_public_update(case=case, actor=agent, message="   ")
    with pytest.raises(InvalidInput):
        case_add_internal_note(case=case, actor=agent, note="")


def test_merge_duplicate(council, other_council, agent, supervisor):
    original, duplicate = new_report(), new_report()
    with pytest.raises(PermissionDenied):
        case_merge_duplicate(duplicate=duplicate, original=original, actor=agent)
    with pytest.raises(InvalidInput):
        case_merge_duplicate(duplicate=original, original=original, actor=supervisor)
    merged = case_merge_duplicate(duplicate=duplicate, original=original, actor=supervisor)
    assert merged.state == "duplicate" and not merged.is_open
    assert merged.duplicate_of_id == original.id
    original.refresh_from_db()
    assert original.support_count == 1
    with pytest.raises(InvalidInput):
        case_merge_duplicate(duplicate=duplicate, original=original, actor=supervisor)
    foreign = new_report(point=Point(51.5, 0.5))
    with pytest.raises((InvalidInput, PermissionDenied)):
        case_merge_duplicate(duplicate=foreign, original=original, actor=supervisor)


def test_anonymise_after_retention(council, agent):
    case = new_report()
    case_transition(case=case, to_state="fixed", actor=agent)
    assert cases_anonymise_expired() == 0
    later = case.created_at + dt.timedelta(days=400)
    assert cases_anonymise_expired(now=later) == 1
    case.refresh_from_db()
    assert case.reporter_email == "" and case.reporter_name == "" and case.anonymised_at
    assert cases_anonymise_expired(now=later) == 0


def test_anonymise_removes_what_an_application_says_about_a_person(council, agent):
    case = case_create(
        council=council,
        service_code="school_transport",
        actor=CITIZEN,
        values={"child_name": "Sam", "sen": "no"},
        description="About Sam",
        reporter=Reporter(email="parent@example.org"),
    )
    case = case_transition(case=case, to_state="fixed", actor=agent)
    assert cases_anonymise_expired(now=case.closed_at + dt.timedelta(days=366)) == 1
    case.refresh_from_db()
    assert case.values == {} and case.description == "" and case.reporter_email == ""


def test_a_transition_without_words_uses_the_states_public_message(council, agent):
    document = template()
    document["workflow"]["states"][2]["message"] = "Thank you, we have fixed this."
    template_publish(council=council, document=document, actor=Actor.system())
    case = case_transition(case=new_report(), to_state="fixed", actor=agent)
    assert case.status_notes == "Thank you, we have fixed this."
    event = Event.objects.filter(kind="case.transitioned", stream_id=case.id).get()
    assert event.payload["message"] == "Thank you, we have fixed this."
    own_words = case_transition(
        case=new_report(), to_state="fixed", actor=agent, message="Filled on Tuesday"
    )
    assert own_words.status_notes == "Filled on Tuesday"
