"""What the security probes share: council B's objects, council A's people and keys, and a
tally of answers that lists the offending requests."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.test import Client

from tests import factories
from townsquare.accounts.models import ApiKey, KeyType, Membership, Scope
from townsquare.accounts.principal import Principal
from townsquare.accounts.services import api_key_create
from townsquare.cases.services import Reporter, case_attach_file, case_create
from townsquare.catalogue.builder import draft_from_scratch
from townsquare.catalogue.selectors import service_get
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.models import Event
from townsquare.councils.models import Area, Council, Team
from townsquare.geo.points import Point
from townsquare.messaging.models import Message, Status, WebhookEndpoint
from townsquare.staff.saved_views import saved_view_save, saved_views_of
from townsquare.staff.tests.conftest import sign_in

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]"
    b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def probe_settings(settings) -> None:
    # A thousand calls from one key within a held clock (interval_clock): the REST API's
    # bucket would run dry, which is tests/test_api_v1.py's business, not the probe's.
    settings.API_RATE_BURST = 100_000


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


def council_b_objects(council: Council) -> CouncilObjects:
    """One of each kind of object a staff or API address can name, all of `council`."""
    owner, principal = factories.make_staff_signed_in(
        council, "council_admin", f"owner@{council.slug}.probe"
    )
    member, _ = factories.make_staff(council, "agent", f"member@{council.slug}.probe")
    report = case_create(
        council=council,
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, 0.5),
        values={"depth": "deep"},
        reporter=Reporter(email="pat@example.org"),
    )
    application = case_create(
        council=council,
        service_code="school_transport",
        actor=Principal.anonymous(),
        point=Point(51.5, 0.5),
        values={"child_name": "Sam", "sen": "no"},
        reporter=Reporter(email="kim@example.org"),
    )
    draft = draft_from_scratch(
        council=council, code="bench", name="Bench", kind="report", actor=principal
    )
    saved_view_save(user_id=owner.pk, council_id=council.id, name="Mine", query={})
    now = clock.now()
    message = Message.objects.create(
        idempotency_key="probe",
        council=council,
        case=report,
        channel="email",
        recipient="pat@example.org",
        subject="Fixed",
        body_text="Hello",
        status=Status.DEAD,
        attempts=6,
        next_attempt_at=now,
        created_at=now,
    )
    endpoint = WebhookEndpoint.objects.create(
        council=council, url="https://example.org/h", secret="whsec_probe", created_at=now
    )
    key, _raw = api_key_create(council_id=council.id, name="B's", actor=Actor.system("tests"))
    team = Team.objects.filter(council=council).order_by("id").first()
    area = Area.objects.filter(council=council).order_by("id").first()
    assert team is not None and area is not None
    shared = {
        "draft_id": draft.id,
        "view_id": saved_views_of(user_id=owner.pk, council_id=council.id)[0].id,
        "message_id": message.id,
        "endpoint_id": endpoint.id,
        "mail_id": "1",
        "slug": council.slug,
        "topic": "queue",
        # Named by no route today: ready for the routes being added (teams, areas, keys, staff).
        "council_id": council.id,
        "team_id": team.id,
        "area_id": area.id,
        "key_id": key.id,
        "user_id": member.id,
    }
    sample_sets = []
    for case in (report, application):
        attachment = case_attach_file(case=case, actor=principal, data=PDF, name="proof.pdf")
        service = service_get(council=council, code=case.service.code)
        sample_sets.append(
            {
                **shared,
                "reference": case.reference,
                "attachment_id": attachment.id,
                "service_id": service.id,
                "service_code": service.code,
            }
        )
    return CouncilObjects(
        council=council,
        sample_sets=sample_sets,
        owner_email=owner.email,
        staff_user_id=member.id,
        team_id=team.id,
        api_key_id=key.id,
        case_references=[report.reference, application.reference],
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
