"""The cross-council probe (issue 23): council A's people and keys reach nothing of council B.

Every staff and API route is taken from the URL resolver, so a route added later is probed
without anyone listing it. Each route whose address names an object is filled with several
real objects of council B (cases of every kind, their files, services, drafts, saved views,
messages, webhooks...) and called with every method as each role of council A's staff (the
staff pages and live streams) and with each type of council A's API key (the REST API).

Only methods the route takes are counted, at least 1,000 requests, and each must be answered
404 (ADR 150). A method the route does not take is still sent and must be answered 405. The
one other answer let through, tallied apart, is a 403 that the same caller gets for an address
naming no object at all: a refusal by role made before any look-up (an agent may not edit
services), which tells nothing of council B's object. Lists and searches asked for B's
references and ids must show none of B's cases.

Then council B's own admin and key open the same addresses, so a 404 means "not yours", not
a sample that does not exist; and council B's event log must not have moved.

Objects named in a form or a JSON body rather than the address (teams, staff, keys, cases to
merge or link) are probed by tests/security/test_objects_named_in_requests.py.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

import pytest
from django.test import Client

from tests.security.probing import CouncilObjects, Probe, keyed, shown_of, signed_in
from tests.test_route_auth import (
    _PARAMETER,
    GUARDED_PREFIXES,
    KEYED_BODIES,
    KEYED_HEADERS,
    KEYED_PREFIX,
    NOT_OPEN_TO_THE_OWNER_IN_TESTS,
    PUBLIC,
    _routes,
)
from townsquare.accounts.models import KeyType, Role
from townsquare.staff.tests.conftest import sign_in

METHODS = ("get", "head", "post", "put", "patch", "delete", "options")
# The issue asks for at least this many requests that reach a route's own check: a method
# the route does not take (405) is sent but not counted, nor is a refusal by role (403).
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


def _addresses(route: str, council_b: CouncilObjects) -> list[Address]:
    """The route filled with every combination of council B's objects (a file only under its
    own case)."""
    names = [m["name"] for m in _PARAMETER.finditer(route)]
    filled = [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(council_b.samples[name] for name in names))
    ]
    return [
        Address(route, _filled(route, sample))
        for sample in filled
        if "attachment_id" not in sample
        or council_b.case_of_attachment[sample["attachment_id"]] == sample.get("reference")
    ]


def _listings(samples: dict[str, list[object]]) -> tuple[list[str], list[str]]:
    """Lists and searches of the staff pages and the REST API, asked for council B's cases,
    teams, areas and services by reference or id: they answer with the caller's own council,
    so what must hold is that nothing of B's is shown."""
    refs = samples["reference"]
    staff = [
        *(f"/staff/cases/?status=all&q={ref}" for ref in refs),
        *(f"/staff/audit/?case={ref}" for ref in refs),
        *(f"/staff/audit/export.csv?case={ref}" for ref in refs),
        *(f"/staff/cases/?status=all&team={team}" for team in samples["team_id"]),
        *(f"/staff/cases/?status=all&area={area}" for area in samples["area_id"]),
        *(f"/staff/cases/?status=all&service={service}" for service in samples["service_id"]),
        *(f"/staff/dashboards/?team={team}" for team in samples["team_id"]),
        *(f"/staff/dashboards/?service={service}" for service in samples["service_id"]),
    ]
    api = [
        *(f"/api/v1/cases?status=all&team={team}" for team in samples["team_id"]),
        *(f"/api/v1/cases?status=all&ward={area}" for area in samples["area_id"]),
    ]
    return staff, api


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
    # A stale If-Match where a route takes one: B's own key reaches the route, changes nothing.
    headers = KEYED_HEADERS.get(route, {})
    body = KEYED_BODIES.get(route, {})
    if callable(body):  # multipart/form-data, a fresh file each time
        return {"data": body(), **headers}
    return {"data": body, "content_type": "application/json", **headers}


def _keyed_route(route: str) -> bool:
    return route.startswith(KEYED_PREFIX)


def _send(client: Client, method: str, route: str, url: str):
    response = getattr(client, method)(url, **_body(route, method))
    response.close()  # a live stream's, left open, would hold a database connection
    return response


def _summary(tallies: dict[str, Counter]) -> str:
    return "; ".join(f"{name}: {dict(sorted(tally.items()))}" for name, tally in tallies.items())


# Live streams read the database on other threads: they see only committed rows.
@pytest.mark.django_db(transaction=True)
def test_council_a_reaches_nothing_of_council_b_at_any_address(council, other_council, council_b):
    strangers = {
        **{f"council A {role}": signed_in(council, role) for role in Role.values},
        **{f"council A {kind} key": keyed(council, kind) for kind in KeyType.values},
    }
    # The owner of the saved views, as views are each person's own.
    owners = {"session": Client(raise_request_exception=False), "key": keyed(other_council)}
    sign_in(owners["session"], council_b.owner_email)

    def owner(route: str) -> Client:
        return owners["key" if _keyed_route(route) else "session"]

    def callers(route: str) -> dict[str, Client]:
        # The REST API takes keys, the staff pages sessions (ADR 120).
        return {
            who: c for who, c in strangers.items() if who.endswith(" key") == _keyed_route(route)
        }

    unsampled = sorted(
        f"{route}: add council B's {name!r} to their_objects in tests/test_route_auth.py"
        for route in _object_routes()
        for name in {m["name"] for m in _PARAMETER.finditer(route)}
        if name not in council_b.samples
    )
    assert unsampled == [], "\n".join(unsampled)

    # The methods each route takes: those council B's own admin (or key) is not answered 405
    # for at an address naming nothing, which changes nothing of B's.
    taken = {
        route: [
            m
            for m in METHODS
            if _send(owner(route), m, route, _filled(route, NOTHING)).status_code != 405
        ]
        for route in _object_routes()
    }
    untaken = sorted(route for route, methods in taken.items() if not methods)
    assert untaken == [], f"routes that took no method, so nothing was probed: {untaken}"
    # A stream is only read: other methods are refused before anything is looked up.
    streams = {route: taken[route] for route in taken if route.startswith("live/")}
    assert all(methods == ["get"] for methods in streams.values()), streams

    addresses = [a for r in _object_routes() for a in _addresses(r, council_b)]
    probe, by_role, not_taken, listed = Probe(), Probe(), Probe(), Probe()
    refused_for_nothing: dict[tuple[str, str, str], bool] = {}
    events_before = council_b.events()
    # A method the route does not take is refused before anyone or anything is looked at:
    # each address gets it once, from the next caller in turn, which must be answered 405.
    turns = itertools.count()
    for address, method in itertools.product(addresses, METHODS):
        named = callers(address.route)
        if method not in taken[address.route]:
            who = list(named)[next(turns) % len(named)]
            status = _send(named[who], method, address.route, address.url).status_code
            not_taken.record(f"{method.upper()} {address.url} as {who}", status)
            continue
        for who, client in named.items():
            status = _send(client, method, address.route, address.url).status_code
            request = f"{method.upper()} {address.url} as {who}"
            if status == 403:
                asked = (address.route, method, who)
                if asked not in refused_for_nothing:
                    nothing = _filled(address.route, NOTHING)
                    answer = _send(client, method, address.route, nothing).status_code
                    refused_for_nothing[asked] = answer == 403
                if refused_for_nothing[asked]:
                    by_role.record(request, status)
                    continue
            probe.record(request, status)
    staff_listings, api_listings = _listings(council_b.samples)
    showing_theirs = []
    for who, client in strangers.items():
        for url in api_listings if who.endswith(" key") else staff_listings:
            response = client.get(url)
            listed.record(f"GET {url} as {who}", response.status_code)
            if shown := shown_of(response, council_b.case_references, asked=url):
                showing_theirs.append(f"GET {url} as {who} shows council B's {shown}")
    events_after = council_b.events()

    # Only now (the owner may change things): the samples are council B's and reachable.
    unreachable = []
    for address in addresses:
        if address.route in NOT_OPEN_TO_THE_OWNER_IN_TESTS:
            continue
        method = "get" if "get" in taken[address.route] else taken[address.route][0]
        status = _send(owner(address.route), method, address.route, address.url).status_code
        if status in (403, 404, 405):
            unreachable.append(
                f"{method.upper()} {address.url}: council B's own admin gets {status} too"
            )

    tallies = {
        "reached the route's check": probe.statuses(),
        "refused by role before any look-up (403)": by_role.statuses(),
        "method not taken": not_taken.statuses(),
        "lists and searches naming B's objects": listed.statuses(),
    }
    summary = _summary(tallies)
    assert probe.count >= AT_LEAST, f"only {probe.count} requests reached a check: {summary}"
    offending = [
        *probe.offending({404}),
        *not_taken.offending({405}),
        *listed.offending(set(range(200, 500))),
        *showing_theirs,
    ]
    assert offending == [], (
        f"{len(offending)} cross-council requests answered wrongly ({summary}):\n"
        + "\n".join(offending)
    )
    assert unreachable == [], "\n".join(unreachable)
    assert events_after == events_before, "council B's event log moved during the probe"
    print(summary)  # for the record in ADR 150 (pytest -s)


def test_the_probe_walks_every_object_route():
    routes = _object_routes()
    assert "staff/cases/<str:reference>" in routes
    assert "api/v1/cases/<reference>" in routes
    assert "live/staff/cases/<str:reference>" in routes
    assert not [r for r in routes if r.startswith(("open311/", "report/", "track/"))]
