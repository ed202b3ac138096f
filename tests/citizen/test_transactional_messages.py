"""Every email of the platform goes through the outbox (ADR 75). With only GOV.UK Notify
configured (a local server speaking the part of its API we use) and no SMTP server anywhere,
the sign-in, report confirmation and application resume links all arrive as their requests
commit, in the language the person used, and work. When the outbox cannot take a message, the
person is told at once."""

from __future__ import annotations

import json
import re
import socket
import uuid

import jwt
import pytest
from django.test import Client

from townsquare.cases.models import Case
from townsquare.messaging.models import Message, Priority, Status
from townsquare.messaging.outbox import LINK_STAND_IN
from townsquare.messaging.tests.support import HttpReceiver
from townsquare.portal.models import ApplicationDraft, SignInLink

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
REPORT = "/report/testshire/pothole/"
APPLY = "/apply/testshire/school_transport/"
WORDS = {
    "en": {
        "sign_in": "Your link to sign in to Townsquare",
        "report_confirm": "Confirm your email address to show your report publicly",
        "application_resume": "We will keep your answers until",
    },
    "cy": {
        "sign_in": "Eich dolen i fewngofnodi i Townsquare",
        "report_confirm": "Cadarnhewch eich cyfeiriad e-bost i ddangos eich adroddiad",
        "application_resume": "Byddwn yn cadw eich atebion tan",
    },
}


@pytest.fixture
def notify_only(settings):
    """A stand-in Notify that checks the API key's JWT as Notify does; SMTP points at a port
    where nothing listens."""

    def handle(request):
        claims = jwt.decode(
            request.headers["authorization"].removeprefix("Bearer "), SECRET, algorithms=["HS256"]
        )
        if claims["iss"] != SERVICE_ID:
            return 403, {"errors": [{"error": "AuthError", "message": "Invalid token"}]}
        return 201, {"id": str(uuid.uuid4())}

    server = HttpReceiver(handler=handle).start()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed.getsockname()[1]
    settings.NOTIFY_API_KEY = f"townsquare_test-{SERVICE_ID}-{SECRET}"
    settings.NOTIFY_BASE_URL = server.url
    settings.NOTIFY_EMAIL_TEMPLATE_ID = str(uuid.uuid4())
    settings.MESSAGING_DISPATCH = "inline"
    yield server
    server.stop()


def _email_to(server: HttpReceiver, address: str) -> dict:
    sent = [json.loads(r.body) for r in server.requests if r.path == "/v2/notifications/email"]
    found = [s for s in sent if s["email_address"] == address]
    assert len(found) == 1, f"expected one email to {address}, Notify got {sent}"
    return found[0]


def _link(email: dict, path: str) -> str:
    return re.search(
        rf"http://testserver({path}[^\s)\]]+)", email["personalisation"]["body"]
    ).group(1)


def _save_application(client: Client, email: str) -> str:
    """Answer the first question, save, and ask for the link; returns the question's page."""
    started = client.post(APPLY)
    first = client.get(started["Location"])["Location"]
    saved = client.post(first, {"answer": "Alex", "action": "save"})["Location"]
    assert client.post(saved, {"email": email}).status_code == 200
    return first


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "cy"])
def test_sign_in_confirmation_and_resume_links_arrive_through_notify_alone(
    council, notify_only, settings, language
):
    resident = Client()
    resident.cookies["django_language"] = language

    response = resident.post(
        REPORT,
        {
            "lat": "51.5",
            "lng": "-1.75",
            "place": "By the postbox",
            "field-depth": "deep",
            "phone": "",
            "email": "pat@example.org",
        },
    )
    assert response.status_code == 303
    case = Case.objects.get()
    assert case.awaiting_confirmation
    confirm = _email_to(notify_only, "pat@example.org")
    assert confirm["template_id"] == settings.NOTIFY_EMAIL_TEMPLATE_ID
    assert case.reference in confirm["personalisation"]["subject"]
    assert WORDS[language]["report_confirm"] in confirm["personalisation"]["body"]
    assert resident.get(_link(confirm, "/report/confirm/")).status_code == 303
    case.refresh_from_db()
    assert case.is_public

    assert resident.post("/sign-in", {"email": "sam@example.org"}).status_code == 303
    sign_in = _email_to(notify_only, "sam@example.org")
    assert sign_in["personalisation"]["subject"] == WORDS[language]["sign_in"]
    assert resident.post(_link(sign_in, "/sign-in/link/")).status_code == 303
    assert resident.session.get("_auth_user_id")

    applicant = Client()
    applicant.cookies["django_language"] = language
    question = _save_application(applicant, "later@example.org")
    resume = _email_to(notify_only, "later@example.org")
    assert WORDS[language]["application_resume"] in resume["personalisation"]["body"]
    on_another_device = Client()
    assert on_another_device.get(_link(resume, "/apply/resume/")).status_code == 303
    assert 'value="Alex"' in on_another_device.get(question).content.decode()

    # One outbox and one delivery record for all of them; each link was kept only until it
    # was sent, and none of them offers to unsubscribe from anything.
    messages = Message.objects.exclude(template="created").order_by("id")
    assert [m.template for m in messages] == ["report_confirm", "sign_in", "application_resume"]
    for message in messages:
        assert (message.status, message.priority) == (Status.SENT, Priority.TRANSACTIONAL)
        assert message.provider_id and message.language == language
        assert message.secret_link == "" and LINK_STAND_IN in message.body_text
        assert message.headers == {}
        assert "unsubscribe" not in message.body_text.lower()
    assert messages[0].case_id == case.id and messages[0].council_id == council.id


@pytest.mark.django_db
def test_when_the_sign_in_link_cannot_be_queued_the_page_says_so(client, outbox_refuses):
    response = client.post("/sign-in", {"email": "sam@example.org"})
    assert response.status_code == 503
    assert "We could not send the email just now" in response.content.decode()
    assert not SignInLink.objects.exists()  # no link exists that nobody was sent


@pytest.mark.django_db
def test_when_the_resume_link_cannot_be_queued_the_page_says_so_and_the_old_link_works(
    client, council, outbox_refuses
):
    started = client.post(APPLY)
    first = client.get(started["Location"])["Location"]
    saved = client.post(first, {"answer": "Alex", "action": "save"})["Location"]
    draft = ApplicationDraft.objects.get()
    before = draft.resume_token_hash
    response = client.post(saved, {"email": "later@example.org"})
    assert response.status_code == 400
    assert "We could not send the email just now" in response.content.decode()
    draft.refresh_from_db()
    assert draft.resume_token_hash == before


@pytest.mark.django_db
def test_staff_see_that_the_confirmation_went_but_not_its_link(client, council):
    import pyotp

    from tests import factories

    response = client.post(
        REPORT,
        {
            "lat": "51.5",
            "lng": "-1.75",
            "place": "By the postbox",
            "field-depth": "deep",
            "phone": "",
            "email": "pat@example.org",
        },
    )
    assert response.status_code == 303
    message = Message.objects.get(template="report_confirm")
    assert message.secret_link.startswith("http://testserver/report/confirm/")
    user, _ = factories.make_staff_signed_in(council, "supervisor")
    staff = Client()
    staff.post("/staff/sign-in", {"email": user.email, "password": factories.STAFF_PASSWORD})
    staff.post("/staff/sign-in/code", {"code": pyotp.TOTP(factories.STAFF_TOTP_SECRET).now()})
    page = staff.get(f"/staff/messaging/messages/{message.pk}").content.decode()
    assert "Confirm your report" in page and "pat@example.org" in page
    assert "link not shown" in page and "/report/confirm/" not in page
