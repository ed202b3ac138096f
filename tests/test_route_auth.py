"""Every staff and API route refuses an anonymous request and a person of another council
(after GOV.UK Notify's route-auth test).

The URL resolver is walked, so a route added later is checked without anyone remembering to:
each route under /staff/, /api/ and /live/staff/ is either listed in PUBLIC with the reason it
needs no sign-in, or

- refuses an anonymous request (sends it to the staff sign-in, or answers 401 or 403), and
- when its URL names a council's object (a case, a draft, a message...), refuses a council
  admin of another council (404 or 403) for that object, while the object's own council's
  admin is not refused (so the 404 is the object being out of reach, not a bad sample).

Routes without an object in their URL act on the council being worked in, which staff_context
only ever takes from the person's own councils (staff/tests/test_policies.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests import factories
from townsquare.accounts.models import Scope
from townsquare.accounts.principal import Principal
from townsquare.accounts.services import api_key_create
from townsquare.cases.services import Reporter, case_attach_file, case_create
from townsquare.catalogue.builder import draft_from_scratch
from townsquare.catalogue.selectors import service_get
from townsquare.catalogue.services import template_publish
from townsquare.core import clock
from townsquare.core.actors import Actor
from townsquare.councils.selectors import areas_of_council, teams_of_council
from townsquare.geo.points import Point
from townsquare.messaging.models import Message, Status, WebhookEndpoint
from townsquare.staff.saved_views import saved_view_save, saved_views_of
from townsquare.staff.tests.conftest import sign_in
from townsquare.wiki.services import article_create, comment_post, council_space_ensure

# Live streams read the database on other threads: they see only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

GUARDED_PREFIXES = ("staff/", "api/", "live/staff/", "wiki/")

# Routes anyone may open, and why.
PUBLIC = {
    "staff/sign-in": "the sign-in form itself",
    "staff/sign-out": "signing out needs no session (and ends any there is)",
    "staff/sign-in/provider/<int:council_id>": "starts signing in at the council's identity "
    "provider, before there is a session",
    "staff/sign-in/provider/return": "the identity provider sends the person back here to "
    "finish signing in (checked by state, nonce and PKCE)",
    "api/v1/openapi.json": "the REST API's published description: no council's data",
    "api/v1/docs": "the browsable reference page for that description",
    "api/v1/": "django-ninja's root: a 404 (problem details), naming nothing",
    "api/v1/<path:rest>": "any address not in the REST API: a 404 (problem details)",
    "wiki/": "Municipedia's front page: public articles for anyone, more for staff (the wiki "
    "selectors check who may read what; townsquare/wiki/tests/test_isolation.py)",
    "wiki/search": "searches only the articles the reader may read, public ones for anyone",
    "wiki/<int:article_id>/": "a public article is read by anyone; any other is a 404 to "
    "whoever it is not shared with",
    "api/csp-reports": "browsers report Content-Security-Policy violations from any page, "
    "signed in or not; rate limited per client address and only written to the log",
}

# REST API routes take a key, not a session (ADR 120): strangers and owners are keys, and
# send a body the route accepts (ninja checks the body before the route looks the case up).
KEYED_PREFIX = "api/v1/"
KEYED_BODIES = {
    "api/v1/cases/<reference>/transition": {"to_state": "in_progress"},
    "api/v1/cases/<reference>/notes": {"note": "Seen"},
    "api/v1/cases/<reference>/public-updates": {"message": "Booked"},
    # multipart/form-data: a fresh file for every call.
    "api/v1/cases/<reference>/attachments": lambda: {
        "file": SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf")
    },
    "api/v1/templates/validate": {"yaml": "code: bench"},
    "api/v1/service-drafts": {"yaml": "code: bench"},
}
# Headers a keyed route is sent with. Publishing with a stale If-Match is a 412 for the owner:
# the route is reached, and the sample draft stays for the routes walked after it.
KEYED_HEADERS = {
    "api/v1/service-drafts/<draft_id>/publish": {"HTTP_IF_MATCH": '"0-0000000000000000"'},
}

# Routes whose object the owning council's own admin cannot open either in tests, and why
# (their refusal of strangers is still checked).
NOT_OPEN_TO_THE_OWNER_IN_TESTS = {
    "staff/messaging/mailbox/<str:mail_id>": "the demo mailbox is shown only with DEMO_MAILBOX "
    "on, and only to platform admins, never to a council's own admin (tests/test_staff_messaging)",
}

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]"
    b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _routes(patterns=None, prefix: str = "") -> Iterator[str]:
    """Every route of the site as its path pattern, e.g. "staff/cases/<str:reference>"."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _guarded_routes() -> list[str]:
    return sorted({r for r in _routes() if r.startswith(GUARDED_PREFIXES)} - set(PUBLIC))


def _url(route: str, samples: dict[str, object]) -> str:
    return "/" + _PARAMETER.sub(lambda m: str(samples[m["name"]]), route)


def _parameters(route: str) -> list[str]:
    return [m["name"] for m in _PARAMETER.finditer(route)]


def _is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/staff/sign-in")


def _keyed(council) -> Client:
    """A client holding a key of `council` with every scope."""
    _key, raw = api_key_create(
        council_id=council.id,
        name="Route walker",
        actor=Actor.system("tests"),
        scopes=[s.value for s in Scope],
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


def _signed_in(council, role: str, email: str) -> Client:
    user, _ = factories.make_staff_signed_in(council, role, email)
    # A view that breaks on a stranger's request is a finding to list, not a crash.
    client = Client(raise_request_exception=False)
    sign_in(client, user.email)
    client.user = user
    return client


@pytest.fixture
def their_objects(other_council) -> dict[str, object]:
    """One of each kind of object a staff URL names, all of `other_council`."""
    owner, principal = factories.make_staff_signed_in(
        other_council, "council_admin", "owner@otherton.test"
    )
    case = case_create(
        council=other_council,
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, 0.5),
        values={"depth": "deep"},
        reporter=Reporter(email="pat@example.org"),
    )
    attachment = case_attach_file(case=case, actor=principal, data=PDF, name="proof.pdf")
    draft = draft_from_scratch(
        council=other_council, code="bench", name="Bench", kind="report", actor=principal
    )
    saved_view_save(
        user_id=owner.pk, council_id=other_council.id, name="Mine", query={"state": "submitted"}
    )
    now = clock.now()
    message = Message.objects.create(
        idempotency_key="route-auth",
        council=other_council,
        case=case,
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
        council=other_council, url="https://example.org/h", secret="whsec_test", created_at=now
    )
    from townsquare.appointments.demo import demo_clinic_ensure
    from townsquare.appointments.models import Appointment

    clinic = demo_clinic_ensure(council=other_council, appointments=1)
    # Decided by another moderator, so the council's admin may decide the appeal.
    thread, appeal = _neighbourhood_objects(
        other_council, factories.make_staff(other_council, "agent", "mod@otherton.test")[1]
    )
    wiki_article = article_create(
        principal=principal,
        council_id=other_council.id,
        space=council_space_ensure(council=other_council),
        title="Otherton's private page",
        body="Ours alone.",
        visibility="private",
    )
    wiki_comment = comment_post(
        principal=principal, council_id=other_council.id, article=wiki_article, body="Hm."
    )
    return {
        "session_id": clinic.id,
        "appointment_id": Appointment.objects.filter(session=clinic).first().id,
        "thread_id": thread.id,
        "appeal_id": appeal.id,
        "consultation_id": _consultation_of(other_council, principal),
        "question_code": "q1",
        "article_id": wiki_article.id,
        "comment_id": wiki_comment.id,
        "reference": case.reference,
        "attachment_id": attachment.id,
        "draft_id": draft.id,
        "service_id": service_get(council=other_council, code="pothole").id,
        "view_id": saved_views_of(user_id=owner.pk, council_id=other_council.id)[0].id,
        "message_id": message.id,
        "endpoint_id": endpoint.id,
        # A service only this council has: another council's key finds none by its code.
        "service_code": template_publish(
            council=other_council,
            document={**factories.REPORT_TEMPLATE, "code": "otherton_only"},
            actor=principal.as_actor(),
        ).template.code,
        "number": 1,
        "team_id": teams_of_council(council_id=other_council.id)[0].id,
        "area_id": areas_of_council(council_id=other_council.id)[0].id,
        "mail_id": "1",
        "slug": other_council.slug,
        "topic": "queue",
    }


def _neighbourhood_objects(council, moderator):
    """A thread of `council` whose post was hidden, and the author's appeal."""
    from townsquare.accounts.services import user_ensure
    from townsquare.neighbourhoods.services import (
        appeal_make,
        moderate,
        rules_ensure,
        thread_start,
    )

    author = user_ensure(email="neighbour@example.org")
    as_author = Principal(user_id=author.pk, label=author.email)
    thread = thread_start(
        user=author,
        principal=as_author,
        area=areas_of_council(council_id=council.id)[0],
        street=None,
        title="Potholes",
        body="On the high street",
        display_name="Neighbour",
    )
    decision = moderate(
        principal=moderator,
        action="hide",
        rule_id=rules_ensure(council=council)[0].id,
        explanation="Testing",
        post=thread.posts.get(),
    )
    appeal = appeal_make(decision=decision, user=author, principal=as_author, reason="Why?")
    return thread, appeal


def _consultation_of(council, principal) -> int:
    """A closed consultation with response number 1, so its staff pages open for its owner."""
    import datetime as dt

    from townsquare.consultations.services import (
        consultation_create,
        consultation_move,
        question_add,
        response_submit,
    )

    today = clock.now().date()
    consultation = consultation_create(
        council=council,
        title="Bins",
        opens_on=today,
        closes_on=today + dt.timedelta(days=1),
        actor=principal,
    )
    question_add(consultation=consultation, kind="text", label="Say", actor=principal)
    consultation = consultation_move(consultation=consultation, to_state="open", actor=principal)
    response_submit(consultation=consultation, answers={"q1": "Hello"}, address="192.0.2.9")
    consultation_move(consultation=consultation, to_state="closed", actor=principal)
    return consultation.pk


def test_the_walk_finds_the_routes_it_guards():
    routes = _guarded_routes()
    assert "staff/cases/<str:reference>" in routes
    assert "staff/messaging/messages/<int:message_id>" in routes
    assert "api/notify/receipts" in routes
    assert "live/staff/cases/<str:reference>" in routes
    assert set(PUBLIC) <= set(_routes()), "PUBLIC names a route that no longer exists"


def test_every_guarded_route_refuses_an_anonymous_request(council, their_objects):
    client = Client(raise_request_exception=False)
    problems = []
    for route in _guarded_routes():
        url = _url(route, their_objects)
        answers = {method: getattr(client, method)(url) for method in ("get", "post")}
        tried = {m: r for m, r in answers.items() if r.status_code != 405}
        if not tried:
            problems.append(f"{route}: answers neither GET nor POST, so nothing was checked")
        for method, response in tried.items():
            if not (_is_sign_in_redirect(response) or response.status_code in (401, 403)):
                problems.append(
                    f"{method.upper()} {route}: {response.status_code} "
                    f"{response.get('Location', '')}"
                )
    assert problems == [], "\n".join(problems)


def test_council_objects_are_out_of_reach_of_another_councils_staff(
    council, other_council, their_objects
):
    stranger = _signed_in(council, "council_admin", "stranger@testshire.test")
    owner = Client()
    sign_in(owner, "owner@otherton.test")
    keyed_stranger, keyed_owner = _keyed(council), _keyed(other_council)
    problems = []
    for route in _guarded_routes():
        names = _parameters(route)
        missing = [n for n in names if n not in their_objects]
        if missing:
            problems.append(
                f"{route}: add a sample of another council's {missing} to their_objects"
            )
            continue
        if not names:
            continue
        url = _url(route, their_objects)
        keyed = route.startswith(KEYED_PREFIX)
        body = KEYED_BODIES.get(route, {})
        extra = (
            {"data": body(), **KEYED_HEADERS.get(route, {})}
            if keyed and callable(body)
            else {
                "data": body,
                "content_type": "application/json",
                **KEYED_HEADERS.get(route, {}),
            }
            if keyed
            else {}
        )
        for method in ("get", "post"):
            sent = extra if method == "post" else {}
            response = getattr(keyed_stranger if keyed else stranger, method)(url, **sent)
            if response.status_code == 405:
                continue
            if response.status_code not in (403, 404):
                problems.append(
                    f"{method.upper()} {route} as another council's admin: {response.status_code}"
                )
            elif route not in NOT_OPEN_TO_THE_OWNER_IN_TESTS:
                own = getattr(keyed_owner if keyed else owner, method)(url, **sent)
                if own.status_code in (403, 404):
                    problems.append(
                        f"{method.upper()} {route}: the sample is not reachable "
                        f"by its own council's admin either ({own.status_code})"
                    )
    assert problems == [], "\n".join(problems)
