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
from townsquare.cases.models import Case
from townsquare.cases.services import (
    Reporter,
    case_assign,
    case_attach_file,
    case_create,
    case_merge_duplicate,
    case_transition,
)
from townsquare.catalogue.builder import draft_from_scratch
from townsquare.catalogue.selectors import service_get
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.core.models import Event
from townsquare.councils.models import Area, Council, Team
from townsquare.geo.points import Point
from townsquare.live.views import TOPICS
from townsquare.messaging.models import Message, Status, WebhookEndpoint
from townsquare.staff.saved_views import saved_view_save, saved_views_of
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
    # Every parameter a route can name, with several of the council's objects for each: the
    # kinds of case (a public report, a private application, a closed case, a case with
    # several files, a merged duplicate) are reached by different code, and so can be the
    # second saved view or webhook.
    samples: dict[str, list[object]]
    owner_email: str
    staff_user_id: int
    team_id: int
    api_key_id: int
    # The public report and the private application first.
    case_references: list[str]
    # A file is reached under its own case only (under another, its owner gets 404 too).
    case_of_attachment: dict[object, str]

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
    """Several of each kind of object a staff or API address can name, all of `council`: the
    route-auth test's samples (tests/test_route_auth.py their_objects, where a new kind is
    added once), more cases of other kinds, and more of what forms and addresses name."""
    owner = User.objects.get(email="owner@otherton.test")
    principal = principal_for_user(owner)
    members = [
        factories.make_staff(council, role, f"{role}@{council.slug}.probe")[0]
        for role in ("agent", "supervisor")
    ]
    report = Case.objects.get(reference=their_objects["reference"])
    application = _case(council, "school_transport", {"child_name": "Sam", "sen": "no"})
    another_application = _case(
        council, "school_transport", {"child_name": "Ali", "sen": "yes", "sen_detail": "Ramp"}
    )
    closed = _case(council, "pothole", {"depth": "shallow"})
    case_transition(case=closed, to_state="fixed", actor=principal)
    rejected = _case(council, "pothole", {"depth": "shallow"})
    case_transition(case=rejected, to_state="rejected", actor=principal)
    in_progress = _case(council, "pothole", {"depth": "deep"})
    case_transition(case=in_progress, to_state="in_progress", actor=principal)
    assigned = _case(council, "pothole", {"depth": "deep"})
    case_assign(case=assigned, actor=principal, assignee_id=members[0].pk)
    filed = _case(council, "pothole", {"depth": "deep"})
    another_filed = _case(council, "school_transport", {"child_name": "Jo", "sen": "no"})
    duplicate = _case(council, "pothole", {"depth": "deep"})
    case_merge_duplicate(duplicate=duplicate, original=report, actor=principal)
    # More of the two kinds, for a thousand requests that reach a route's own check.
    more = [_case(council, "pothole", {"depth": "deep"}) for _ in range(6)] + [
        _case(council, "school_transport", {"child_name": "Kit", "sen": "no"}) for _ in range(6)
    ]
    cases = [
        report,
        application,
        closed,
        filed,
        duplicate,
        another_application,
        rejected,
        in_progress,
        assigned,
        another_filed,
        *more,
    ]
    files = [(application, "a.pdf"), (filed, "b.pdf"), (filed, "c.pdf"), (another_filed, "d.pdf")]
    case_of_attachment = {their_objects["attachment_id"]: report.reference} | {
        case_attach_file(case=case, actor=principal, data=PDF, name=name).id: case.reference
        for case, name in files
    }
    keys = [
        api_key_create(council_id=council.id, name=f"B's {n}", actor=Actor.system("tests"))[0].id
        for n in (1, 2)
    ]
    for name in ("Overdue", "Mine today"):
        saved_view_save(
            user_id=owner.pk, council_id=council.id, name=name, query={"sla": "overdue"}
        )
    now = clock.now()
    endpoints = [their_objects["endpoint_id"]] + [
        WebhookEndpoint.objects.create(
            council=council,
            url=f"https://{council.slug}.example/{n}",
            secret="whsec_b",
            created_at=now,
        ).id
        for n in (1, 2)
    ]
    messages = [their_objects["message_id"]] + [
        Message.objects.create(
            idempotency_key=f"probe-{case.reference}",
            council=council,
            case=case,
            channel="email",
            recipient="kim@example.org",
            subject="Received",
            body_text="Hello",
            status=status,
            attempts=1,
            next_attempt_at=now,
            created_at=now,
        ).id
        for case, status in ((application, Status.DEAD), (closed, Status.SENT))
    ]
    drafts = [their_objects["draft_id"]] + [
        draft_from_scratch(council=council, code=code, name=code, kind=kind, actor=principal).id
        for code, kind in (("bin", "application"), ("lamp", "report"), ("permit", "application"))
    ]
    teams = list(Team.objects.filter(council=council).order_by("id").values_list("id", flat=True))
    areas = list(Area.objects.filter(council=council).order_by("id").values_list("id", flat=True))
    services = [
        service_get(council=council, code=code).id for code in ("pothole", "school_transport")
    ]
    samples: dict[str, list[object]] = {
        **{name: [value] for name, value in their_objects.items()},
        "reference": [case.reference for case in cases],
        "attachment_id": list(case_of_attachment),
        "service_id": services,
        # Codes are each council's own: council A has a pothole service of its own, so only a
        # code no service of A's has names something of B's alone.
        "service_code": [their_objects["service_code"]],
        "draft_id": drafts,
        "view_id": [view.id for view in saved_views_of(user_id=owner.pk, council_id=council.id)],
        "message_id": messages,
        "endpoint_id": endpoints,
        "topic": list(TOPICS),
        # Named by no route today: ready for the routes being added (teams, areas, keys, staff).
        "council_id": [council.id],
        "team_id": teams,
        "area_id": areas,
        "key_id": keys,
        "user_id": [owner.pk, *(member.pk for member in members)],
    }
    return CouncilObjects(
        council=council,
        samples=samples,
        owner_email=owner.email,
        staff_user_id=members[0].pk,
        team_id=teams[0],
        api_key_id=keys[0],
        case_references=[case.reference for case in cases],
        case_of_attachment=case_of_attachment,
    )


def _case(council: Council, service_code: str, values: dict[str, object]) -> Case:
    return case_create(
        council=council,
        service_code=service_code,
        actor=Principal.anonymous(),
        point=Point(51.5, 0.5),
        values=values,
        reporter=Reporter(email="kim@example.org"),
    )


def shown_of(response, references: list[str], asked: str = "") -> list[str]:
    """Which of `references` the response's body (or redirect) shows. A page echoes the
    reference that was `asked` for in its search box: that one counts only as a link to it."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    body += response.get("Location", "").encode()
    return [ref for ref in references if (f"cases/{ref}" if ref in asked else ref).encode() in body]


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
