"""What the security probes share: council B's objects, council A's people and keys, and a
tally of answers that lists the offending requests."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.test import Client

from tests import factories
from tests.test_route_auth import PDF
from townsquare.accounts.models import ApiKey, KeyType, Membership, Scope, User
from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.accounts.services import api_key_create
from townsquare.cases.services import Reporter, case_attach_file, case_create
from townsquare.catalogue.selectors import service_get
from townsquare.core.actors import Actor
from townsquare.core.models import Event
from townsquare.councils.models import Area, Council, Team
from townsquare.geo.points import Point
from townsquare.staff.tests.conftest import sign_in


def signed_in(council: Council, role: str) -> Client:
    """A client signed in as a new staff member of `council` (and of no other) in `role`."""
    user, _ = factories.make_staff_signed_in(council, role, f"{role}@{council.slug}.probe")
    # A view that breaks on a stranger's request is an offending answer (500), not a crash.
    client = Client(raise_request_exception=False)
    sign_in(client, user.email)
    return client


def keyed(council: Council, key_type: str = KeyType.LIVE) -> Client:
    """A client holding a key of `council` of that type, with every scope."""
    _key, raw = api_key_create(
        council_id=council.id,
        name=f"Probe {key_type}",
        actor=Actor.system("tests"),
        key_type=key_type,
        scopes=list(Scope.values),
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


@dataclass
class CouncilObjects:
    council: Council
    # Each set fills every parameter a route can name; one set per kind of case (a public
    # report, a private application), as the two are reached by different code.
    sample_sets: list[dict[str, object]]
    owner_email: str
    staff_user_id: int
    team_id: int
    api_key_id: int
    case_references: list[str]

    def events(self) -> int:
        return Event.objects.filter(council_id=self.council.id).count()

    def keys_and_members(self) -> list[tuple]:
        """What an admin action on this council's keys or staff would change."""
        keys = ApiKey.objects.filter(council=self.council).values_list(
            "id", "revoked_at", "expires_at", "key_hash"
        )
        members = Membership.objects.filter(council=self.council).values_list(
            "user_id", "role", "team_id"
        )
        return sorted(keys) + sorted(members)


def council_b_objects(council: Council, their_objects: dict[str, object]) -> CouncilObjects:
    """One of each kind of object a staff or API address can name, all of `council`: the
    route-auth test's samples (tests/test_route_auth.py their_objects, where a new kind is
    added once), a private application beside its public report, and what forms name."""
    owner = User.objects.get(email="owner@otherton.test")
    principal = principal_for_user(owner)
    member, _ = factories.make_staff(council, "agent", f"member@{council.slug}.probe")
    application = case_create(
        council=council,
        service_code="school_transport",
        actor=Principal.anonymous(),
        point=Point(51.5, 0.5),
        values={"child_name": "Sam", "sen": "no"},
        reporter=Reporter(email="kim@example.org"),
    )
    attachment = case_attach_file(case=application, actor=principal, data=PDF, name="a.pdf")
    key, _raw = api_key_create(council_id=council.id, name="B's", actor=Actor.system("tests"))
    team = Team.objects.filter(council=council).order_by("id").first()
    area = Area.objects.filter(council=council).order_by("id").first()
    assert team is not None and area is not None
    report = {
        **their_objects,
        # Named by no route today: ready for the routes being added (teams, areas, keys, staff).
        "council_id": council.id,
        "team_id": team.id,
        "area_id": area.id,
        "key_id": key.id,
        "user_id": member.id,
        "service_code": "pothole",
    }
    private = {
        **report,
        "reference": application.reference,
        "attachment_id": attachment.id,
        "service_id": service_get(council=council, code="school_transport").id,
        "service_code": "school_transport",
    }
    return CouncilObjects(
        council=council,
        sample_sets=[report, private],
        owner_email=owner.email,
        staff_user_id=member.id,
        team_id=team.id,
        api_key_id=key.id,
        case_references=[str(report["reference"]), application.reference],
    )


@dataclass
class Probe:
    """Every answer, by request: the offending ones are listed in full when the test fails."""

    answers: list[tuple[str, int]] = field(default_factory=list)

    def record(self, request: str, status: int) -> None:
        self.answers.append((request, status))

    @property
    def count(self) -> int:
        return len(self.answers)

    def offending(self, allowed: set[int]) -> list[str]:
        return [f"{status} {request}" for request, status in self.answers if status not in allowed]

    def statuses(self) -> Counter:
        return Counter(status for _request, status in self.answers)
