"""The cross-council probe (issue 23): council A's people and keys reach nothing of council B.

Every staff and API route is taken from the URL resolver, so a route added later is probed
without anyone listing it. Each route whose address names an object is filled with real
objects of council B (a public report and a private application with their files, services, a
draft, a saved view, a message, a webhook...) and called with every method as each role of
council A's staff (the staff pages and live streams) and with each type of council A's API key
(the REST API): every answer must be 404, or 405 for a method the route does not take (ADR 150).
The one other answer let through is a 403 that the same person gets for an address naming no
object at all: a refusal by role made before any look-up (an agent may not edit services), which
tells nothing of council B's object.

Then council B's own admin and key open the same addresses, so a 404 means "not yours", not
a sample that does not exist; and council B's event log must not have moved.

Objects named in a form or a JSON body rather than the address (teams, staff, keys, cases to
merge or link) are probed by tests/security/test_objects_named_in_requests.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from django.test import Client

from tests.security.probing import Probe, keyed, signed_in
from tests.test_route_auth import (
    _PARAMETER,
    GUARDED_PREFIXES,
    KEYED_BODIES,
    KEYED_PREFIX,
    NOT_OPEN_TO_THE_OWNER_IN_TESTS,
    PUBLIC,
    _routes,
)
from townsquare.accounts.models import KeyType, Role
from townsquare.staff.tests.conftest import sign_in

METHODS = ("get", "head", "post", "put", "patch", "delete", "options")
# Refusals that say nothing about the object: the route does not take that method.
ANSWERS_THAT_REVEAL_NOTHING = {404, 405}
# The issue asks for at least this many requests; fewer means the walk lost routes or samples.
AT_LEAST = 1_000


@dataclass(frozen=True)
class Address:
    route: str
    url: str


# What each parameter is when it names nothing that exists (the topic stays a real one).
NOTHING: dict[str, object] = {
    "reference": "NOP-00-999999",
    "mail_id": "999999",
    "slug": "no-such-council",
    "topic": "queue",
    "service_code": "no-such-service",
}
NO_ID = 2_000_000_000


def _filled(route: str, sample: dict[str, object]) -> str:
    return "/" + _PARAMETER.sub(lambda m: str(sample.get(m["name"], NO_ID)), route)


def _addresses(route: str, sample_sets: list[dict[str, object]]) -> list[Address]:
    """The route filled with each set of council B's objects (each distinct address once)."""
    urls = dict.fromkeys(_filled(route, sample) for sample in sample_sets)
    return [Address(route, url) for url in urls]


def _object_routes() -> list[str]:
    """Guarded routes whose address names an object (the others act on the caller's own
    council, which the session only ever takes from the person's own councils)."""
    return sorted(
        route
        for route in set(_routes()) - set(PUBLIC)
        if route.startswith(GUARDED_PREFIXES) and _PARAMETER.search(route)
    )


def _body(route: str, method: str) -> dict:
    if not route.startswith(KEYED_PREFIX) or method not in ("post", "put", "patch"):
        return {}
    # ninja checks a body before the route looks the object up: send one it accepts.
    return {"data": KEYED_BODIES.get(route, {}), "content_type": "application/json"}


# Live streams read the database on other threads: they see only committed rows.
@pytest.mark.django_db(transaction=True)
def test_council_a_reaches_nothing_of_council_b_at_any_address(council, other_council, council_b):
    strangers = {
        **{f"council A {role}": signed_in(council, role) for role in Role.values},
        **{f"council A {kind} key": keyed(council, kind) for kind in KeyType.values},
    }
    # The owner of the saved view, as views are each person's own.
    owners = {"session": Client(raise_request_exception=False), "key": keyed(other_council)}
    sign_in(owners["session"], council_b.owner_email)

    unsampled = sorted(
        f"{route}: add council B's {name!r} to their_objects in tests/test_route_auth.py"
        for route in _object_routes()
        for name in {m["name"] for m in _PARAMETER.finditer(route)}
        if name not in council_b.sample_sets[0]
    )
    assert unsampled == [], "\n".join(unsampled)

    addresses = [a for r in _object_routes() for a in _addresses(r, council_b.sample_sets)]
    probe, by_role = Probe(), Probe()
    taken: set[str] = set()  # routes that answered some method with more than a 405
    events_before = council_b.events()
    for address, method in itertools.product(addresses, METHODS):
        keyed_route = address.route.startswith(KEYED_PREFIX)
        for who, client in strangers.items():
            if keyed_route != who.endswith(" key"):
                continue  # the REST API takes keys, the staff pages sessions (ADR 120)
            sent = _body(address.route, method)
            status = getattr(client, method)(address.url, **sent).status_code
            request = f"{method.upper()} {address.url} as {who}"
            if status != 405:
                taken.add(address.route)
            if status == 403:
                for_nothing = getattr(client, method)(_filled(address.route, NOTHING), **sent)
                if for_nothing.status_code == 403:
                    by_role.record(request, status)
                    continue
            probe.record(request, status)
    events_after = council_b.events()

    # Only now (the owner may change things): the samples are council B's and reachable.
    unreachable = []
    for address in addresses:
        if address.route in NOT_OPEN_TO_THE_OWNER_IN_TESTS:
            continue
        owner = owners["key" if address.route.startswith(KEYED_PREFIX) else "session"]
        answers = []
        for method in ("get", "post"):
            response = getattr(owner, method)(address.url, **_body(address.route, method))
            response.close()  # a live stream's, left open, would hold a database connection
            answers.append(response.status_code)
        if all(status in (403, 404, 405) for status in answers):
            unreachable.append(f"{address.url}: council B's own admin gets {answers} too")

    total = probe.count + by_role.count
    assert total >= AT_LEAST, f"only {total} requests: routes or samples were lost"
    offending = probe.offending(ANSWERS_THAT_REVEAL_NOTHING)
    assert offending == [], (
        f"{len(offending)} of {total} cross-council requests were not refused with 404 "
        f"(answers: {dict(probe.statuses())}):\n" + "\n".join(offending)
    )
    untaken = sorted({a.route for a in addresses} - taken)
    assert untaken == [], f"routes that took no method, so nothing was probed: {untaken}"
    assert unreachable == [], "\n".join(unreachable)
    assert events_after == events_before, "council B's event log moved during the probe"


def test_the_probe_walks_every_object_route():
    routes = _object_routes()
    assert "staff/cases/<str:reference>" in routes
    assert "api/v1/cases/<reference>" in routes
    assert "live/staff/cases/<str:reference>" in routes
    assert not [r for r in routes if r.startswith(("open311/", "report/", "track/"))]
