from __future__ import annotations

import pytest
from django.db import transaction

from townsquare.accounts.principal import Principal
from townsquare.cases.events import CaseCreated, CaseEvent, CaseTransitioned
from townsquare.cases.services import case_create, case_transition
from townsquare.core.eventlog import bus, events_after, subscribe
from townsquare.core.models import Event
from townsquare.geo.points import Point


@pytest.fixture
def received():
    seen = []

    def handler(event, record):
        seen.append((type(event).__name__, record.id))

    subscribe(CaseEvent, handler)
    yield seen
    bus.unsubscribe(CaseEvent, handler)


def report():
    return case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
    )


@pytest.mark.django_db(transaction=True)
def test_events_are_published_after_commit_in_id_order(council, agent, received):
    case = report()
    case_transition(case=case, to_state="in_progress", actor=agent)
    case_transition(case=case, to_state="fixed", actor=agent)
    assert [name for name, _ in received] == ["CaseCreated", "CaseTransitioned", "CaseTransitioned"]
    ids = [record_id for _, record_id in received]
    assert ids == sorted(ids) and len(set(ids)) == 3


@pytest.mark.django_db(transaction=True)
def test_nothing_is_published_for_a_rolled_back_change(council, received):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        report()
        assert received == []  # not before commit either
        raise Boom
    assert received == []
    assert not Event.objects.filter(kind="case.created").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_neither_undoes_the_change_nor_stops_others(council, received):
    def broken(event, record):
        raise RuntimeError("reactor bug")

    subscribe(CaseCreated, broken)
    try:
        case = report()
    finally:
        bus.unsubscribe(CaseCreated, broken)
    assert received and received[0][0] == "CaseCreated"
    assert Event.objects.filter(stream_id=case.id).exists()


@pytest.mark.django_db
def test_a_consumer_resumes_from_the_last_id_it_handled(council, agent):
    case = report()
    first_batch = events_after(0)
    last_seen = first_batch[-1].id
    case_transition(case=case, to_state="fixed", actor=agent)
    resumed = events_after(last_seen)
    assert [e.kind for e in resumed] == ["case.transitioned"]
    assert (
        resumed[0].payload
        == CaseTransitioned(
            case_id=case.id, reference=case.reference, from_state="submitted", to_state="fixed"
        ).payload()
    )
    assert events_after(last_seen, council_id=council.id + 999) == []


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_a_programming_error():
    from townsquare.core.actors import Actor
    from townsquare.core.eventlog import append_event

    with pytest.raises(RuntimeError):
        append_event(
            CaseCreated(case_id=1, reference="X", service_code="x", state="s"),
            council_id=None,
            stream="case",
            stream_id=1,
            actor=Actor.system(),
        )
