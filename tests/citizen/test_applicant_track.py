"""The applicant's own track page (ADR 100): answers, stages, moves behind a confirmation step,
replies to a request for more information, the emailed link, and who may do none of it."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from townsquare.accounts.models import User
from townsquare.accounts.principal import Principal
from townsquare.accounts.selectors import principal_for_user
from townsquare.cases.applicant_links import applicant_link_key
from townsquare.cases.models import Attachment, Case
from townsquare.cases.services import (
    Document,
    case_applicant_reply,
    case_applicant_transition,
    case_assign,
    case_create,
    case_transition,
)
from townsquare.core.errors import InvalidInput, PermissionDenied
from townsquare.core.models import Event
from townsquare.messaging.models import Message

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def owner(db):
    return User.objects.create_user("owner@example.org")


@pytest.fixture
def application(council, owner):
    from townsquare.catalogue.services import template_publish
    from townsquare.core.actors import Actor

    template_publish(
        council=council, document=factories.shipped_workflow_template(), actor=Actor.system("t")
    )
    return case_create(
        service_code="school_transport",
        council=council,
        actor=principal_for_user(owner),
        values={"child_name": "Sam", "sen": "no"},
    )


def _ask_for_more(case, agent, message="Send us proof of address."):
    return case_transition(
        case=case, to_state="more_information_needed", actor=agent, message=message
    )


def _fresh(case):
    return Case.objects.get(pk=case.pk)


# The page.


def test_the_applicant_sees_answers_stages_and_moves_and_others_see_nothing(
    client, council, owner, application
):
    client.force_login(owner)
    body = client.get(f"/track/{application.reference}").content.decode()
    assert "Your answers" in body and "Sam" in body
    assert '<ol class="govuk-task-list"' in body
    assert 'aria-current="step"' in body and "Stage 1 of" in body
    assert "Withdraw your application" in body
    # The application's stream and its stages fragment follow the page live.
    assert f'data-live-stream="/live/cases/{application.reference}"' in body
    stages = client.get(f"/track/{application.reference}?fragment=stages").content.decode()
    assert "<html" not in stages and "govuk-task-list" in stages

    client.force_login(User.objects.create_user("someone.else@example.org"))
    for path in ("", "?fragment=stages", "/reply", "/move/withdrawn"):
        response = client.get(f"/track/{application.reference}{path}")
        assert response.status_code == 404, path
        assert b"Sam" not in response.content
    response = client.post(f"/track/{application.reference}/move/withdrawn", {"revision": 1})
    assert response.status_code == 404
    assert _fresh(application).state == "submitted"


def test_the_emailed_link_opens_the_application_in_another_browser(client, application):
    assert client.get(f"/track/{application.reference}").status_code == 404
    # A key for another case, or a forged one, proves nothing.
    for key in (applicant_link_key(case_id=application.id + 1), "1.forged"):
        response = client.get(f"/track/{application.reference}?key={key}")
        assert response.status_code == 303
        assert client.get(f"/track/{application.reference}").status_code == 404
    response = client.get(
        f"/track/{application.reference}?key={applicant_link_key(case_id=application.id)}"
    )
    # The key goes into the session; the address the browser keeps has none.
    assert response.status_code == 303 and response["Location"].endswith(application.reference)
    body = client.get(f"/track/{application.reference}").content.decode()
    assert "Sam" in body and "Withdraw your application" in body


def test_the_applicants_emails_carry_the_key_only_as_they_are_sent(client, application):
    from townsquare.cases.applicant_links import case_id_for_applicant_link_key
    from townsquare.messaging.outbox import (
        materialise,
        outbox_dispatch,
        reporter_subscriptions_ensure,
    )

    reporter_subscriptions_ensure([application])
    outbox_dispatch()
    message = Message.objects.get(case_id=application.id, recipient="owner@example.org")
    stored = message.body.text if message.body_id else message.body_text
    assert "?key=" not in stored.replace("?key=APPLICANTKEYx7z", "")
    # Staff reading the message see the plain track link: the key would make them the applicant.
    shown = materialise(Message.objects.get(pk=message.pk)).body_text
    assert f"/track/{application.reference}" in shown and "key=" not in shown
    sent = materialise(Message.objects.get(pk=message.pk), sending=True).body_text
    key = re.search(r"/track/[A-Z0-9-]+\?key=([A-Za-z0-9._:-]+)", sent).group(1)
    assert case_id_for_applicant_link_key(key) == application.id
    response = client.get(f"/track/{application.reference}?key={key}")
    assert "Sam" in client.get(response["Location"]).content.decode()


# Withdrawing, through the confirmation step.


def test_withdraw_asks_first_then_withdraws_and_is_audited(client, owner, application):
    client.force_login(owner)
    page = client.get(f"/track/{application.reference}/move/withdrawn")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Are you sure you want to withdraw your application?" in body
    assert 'name="revision" value="1"' in body
    assert _fresh(application).state == "submitted"  # asking changes nothing
    response = client.post(f"/track/{application.reference}/move/withdrawn", {"revision": "1"})
    assert response.status_code == 303 and "moved=withdrawn" in response["Location"]
    case = _fresh(application)
    assert case.state == "withdrawn" and not case.is_open
    event = Event.objects.filter(stream_id=case.id, kind="case.transitioned").last()
    assert event.actor_user_id == owner.pk and event.actor_kind == "citizen"
    assert event.actor_label == "Applicant"
    body = client.get(response["Location"]).content.decode()
    assert "Your application is now “Withdrawn”" in body
    assert "Withdraw your application" not in body


def test_a_stale_confirmation_or_a_move_not_allowed_now_is_refused_clearly(
    client, owner, application, agent
):
    client.force_login(owner)
    case_transition(case=application, to_state="under_review", actor=agent)
    # The form was shown at revision 1; the council has changed the case since.
    response = client.post(f"/track/{application.reference}/move/withdrawn", {"revision": "1"})
    assert response.status_code == 409
    assert "changed while you were looking at it" in response.content.decode()
    assert _fresh(application).state == "under_review"
    # A move the workflow does not give the applicant, or not from this state.
    response = client.post(f"/track/{application.reference}/move/approved", {"revision": "2"})
    assert response.status_code == 400
    assert "You cannot do this now: your application is “Under review”" in (
        response.content.decode()
    )
    case_transition(case=_fresh(application), to_state="approved", actor=agent)
    response = client.get(f"/track/{application.reference}/move/withdrawn")
    assert response.status_code == 400
    assert "You cannot do this now" in response.content.decode()


def test_the_case_services_refuse_anyone_but_the_applicant(application, agent):
    stranger = principal_for_user(User.objects.create_user("stranger@example.org"))
    with pytest.raises(PermissionDenied):
        case_applicant_transition(
            case=application, actor=stranger, holds_reference=False, to_state="withdrawn"
        )
    with pytest.raises(PermissionDenied):
        case_applicant_reply(
            case=application, actor=stranger, holds_reference=False, message="hi", documents=[]
        )
    # Staff are not the applicant either, whatever their role.
    with pytest.raises(PermissionDenied):
        case_applicant_transition(
            case=application, actor=agent, holds_reference=False, to_state="withdrawn"
        )
    # A browser holding the reference (the one that sent it, or the emailed link) is.
    case = case_applicant_transition(
        case=application,
        actor=Principal.anonymous(),
        holds_reference=True,
        to_state="withdrawn",
        expected_revision=application.revision,
    )
    assert case.state == "withdrawn"
    # And once withdrawn, nothing more.
    with pytest.raises(InvalidInput):
        case_applicant_transition(
            case=case, actor=Principal.anonymous(), holds_reference=True, to_state="under_review"
        )


# Replying to a request for more information.


def test_a_reply_with_a_document_moves_the_case_on_and_tells_the_officer(
    client, council, owner, application, agent
):
    officer = User.objects.get(pk=agent.user_id)
    case_assign(case=application, actor=agent, assignee_id=officer.pk)
    _ask_for_more(_fresh(application), agent)
    client.force_login(owner)
    body = client.get(f"/track/{application.reference}").content.decode()
    assert "We need more information from you" in body
    assert "Reply with more information" in body
    page = client.get(f"/track/{application.reference}/reply").content.decode()
    assert "Send us proof of address." in page
    revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
    response = client.post(
        f"/track/{application.reference}/reply",
        {
            "message": "Here is our council tax bill.",
            "revision": revision,
            "documents": [SimpleUploadedFile("council tax.pdf", PDF, "application/pdf")],
        },
    )
    assert response.status_code == 303 and "replied=yes" in response["Location"]
    case = _fresh(application)
    assert case.state == "under_review"
    assert Attachment.objects.filter(case=case, is_public=False).count() == 1
    reply = Event.objects.get(stream_id=case.id, kind="case.applicant_reply")
    assert reply.payload["message"] == "Here is our council tax bill."
    assert reply.payload["documents"] == ["council tax.pdf"]
    assert reply.actor_user_id == owner.pk
    # The officer hears through the transactional path, without the reply's words.
    message = Message.objects.get(template="applicant_replied")
    assert message.recipient == officer.email and message.case_id == case.id
    assert "Here is our council tax bill" not in message.body_text
    assert message.secret_link.endswith(f"/staff/cases/{case.reference}")
    # The applicant sees their reply on the timeline, with the file's own name.
    body = client.get(response["Location"]).content.decode()
    assert "Your reply has been sent" in body
    assert "Your reply" in body and "council tax.pdf" in body
    assert "We need more information from you" not in body


def test_the_applicant_opens_their_own_documents_and_nobody_else_can(
    client, owner, application, agent
):
    from django.test import Client

    _ask_for_more(_fresh(application), agent)
    client.force_login(owner)
    page = client.get(f"/track/{application.reference}/reply").content.decode()
    revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
    client.post(
        f"/track/{application.reference}/reply",
        {
            "message": "Proof attached.",
            "revision": revision,
            "documents": [SimpleUploadedFile("council tax.pdf", PDF, "application/pdf")],
        },
    )
    document = Attachment.objects.get(case=application)
    path = f"/track/{application.reference}/documents/{document.id}"
    assert f'href="{path}"' in client.get(f"/track/{application.reference}").content.decode()
    response = client.get(path)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    # Saved, never rendered in the site's origin, and never kept by a shared cache.
    assert response["Content-Disposition"] == 'attachment; filename="council tax.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]
    assert (
        client.get(f"/track/{application.reference}/documents/{document.id + 99}").status_code
        == 404
    )

    stranger = Client()
    stranger.force_login(User.objects.create_user("someone.else@example.org"))
    assert stranger.get(path).status_code == 404
    assert Client().get(path).status_code == 404


def test_a_reply_to_an_unassigned_case_stands_without_an_email(client, owner, application, agent):
    _ask_for_more(application, agent)
    client.force_login(owner)
    response = client.post(
        f"/track/{application.reference}/reply", {"message": "Done.", "revision": "2"}
    )
    assert response.status_code == 303
    assert _fresh(application).state == "under_review"
    assert not Message.objects.filter(template="applicant_replied").exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"message": "  "}, "Enter your reply or add a document"),
        (
            {
                "message": "See attached",
                "documents": [SimpleUploadedFile("notes.txt", b"plain text", "text/plain")],
            },
            "notes.txt: The selected file must be a PDF, JPG or PNG",
        ),
        (
            {
                "message": "See attached",
                "documents": [
                    SimpleUploadedFile(
                        "x.pdf", b"%PDF-1.4 /JavaScript (a) %%EOF", "application/pdf"
                    )
                ],
            },
            "contains scripts or attached files",
        ),
        ({"message": "x" * 5001}, "“Your reply” must be"),
    ],
    ids=["empty", "wrong-type", "active-pdf", "too-long"],
)
def test_a_bad_reply_is_refused_with_a_clear_error(client, owner, application, agent, data, error):
    _ask_for_more(application, agent)
    client.force_login(owner)
    response = client.post(f"/track/{application.reference}/reply", {**data, "revision": "2"})
    assert response.status_code == 400
    body = response.content.decode()
    assert error in body and "govuk-error-summary" in body
    case = _fresh(application)
    assert case.state == "more_information_needed"
    assert not Attachment.objects.filter(case=case).exists()


def test_no_reply_when_the_council_is_not_waiting_for_one(client, owner, application, agent):
    client.force_login(owner)
    response = client.post(
        f"/track/{application.reference}/reply", {"message": "Hello", "revision": "1"}
    )
    assert response.status_code == 400
    assert "not waiting for a reply" in response.content.decode()
    with pytest.raises(InvalidInput) as refused:
        case_applicant_reply(
            case=application,
            actor=principal_for_user(owner),
            holds_reference=False,
            message="Hello",
            documents=[],
        )
    assert refused.value.problems["message"][0].code == "not_waiting"


def test_a_stale_reply_is_refused(client, owner, application, agent):
    _ask_for_more(application, agent)
    client.force_login(owner)
    response = client.post(
        f"/track/{application.reference}/reply", {"message": "Here", "revision": "1"}
    )
    assert response.status_code == 400
    assert "changed while you were looking at it" in response.content.decode()


def test_the_reply_service_keeps_documents_to_the_limits(owner, application, agent):
    _ask_for_more(application, agent)
    with pytest.raises(InvalidInput) as refused:
        case_applicant_reply(
            case=_fresh(application),
            actor=principal_for_user(owner),
            holds_reference=False,
            message="",
            documents=[Document(data=b"x", content_type="text/html", extension="html")],
        )
    assert refused.value.problems["documents"][0].code == "invalid_document"


def test_the_page_and_its_errors_are_in_welsh(client, owner, application, agent):
    _ask_for_more(application, agent)
    client.force_login(owner)
    client.cookies["django_language"] = "cy"
    body = client.get(f"/track/{application.reference}", HTTP_ACCEPT_LANGUAGE="cy").content
    text = body.decode()
    assert "Angen rhagor o wybodaeth" in text  # the template's own Welsh state name
    assert "Eich atebion" in text and "Ateb gyda rhagor o wybodaeth" in text
    response = client.post(
        f"/track/{application.reference}/reply",
        {"message": "", "revision": "2"},
        HTTP_ACCEPT_LANGUAGE="cy",
    )
    assert "Rhowch eich ateb neu ychwanegwch ddogfen" in response.content.decode()


def test_a_states_standard_message_is_shown_in_the_pages_language(
    client, owner, application, agent
):
    """Staff send a state's standard message as the template writes it (English); a Welsh
    page shows the template's Welsh for it, and other words as they were written."""
    from townsquare.catalogue.selectors import workflow_for_version

    standard = workflow_for_version(application.service_version).state("under_review").message
    case_transition(case=application, to_state="under_review", actor=agent, message=standard)
    client.force_login(owner)
    client.cookies["django_language"] = "cy"
    text = client.get(f"/track/{application.reference}", HTTP_ACCEPT_LANGUAGE="cy").content
    welsh = workflow_for_version(application.service_version, language="cy")
    assert html.escape(welsh.state("under_review").message) in text.decode()
    assert standard not in text.decode()
