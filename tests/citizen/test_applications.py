"""Applying for a service page by page, without JavaScript: conditional questions, documents,
check your answers, save and return (by account and by emailed link), and submitting."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.citizen_mailbox import text_of
from townsquare.accounts.models import User
from townsquare.cases.models import Attachment, Case
from townsquare.portal.models import ApplicationDraft, DraftDocument

pytestmark = pytest.mark.django_db
START = "/apply/testshire/school_transport/"


def _start(client) -> str:
    response = client.post(START)
    assert response.status_code == 303
    first = client.get(response["Location"])
    assert first.status_code == 303
    return first["Location"]


def _answer(client, url, value, action="continue"):
    data = {"answer": value, "action": action}
    return client.post(url, data)


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_apply_without_signing_in_with_a_conditional_question(client, council):
    start = client.get(START).content.decode()
    assert "Start now" in start and "School transport" in start
    url = _start(client)
    assert url.endswith("/question/child_name")
    page = client.get(url).content.decode()
    assert '<label class="govuk-label govuk-label--l" for="answer">Child&#x27;s name' in page

    # An empty answer gets the error summary.
    response = _answer(client, url, "")
    assert response.status_code == 400
    assert "Answer “Child&#x27;s name”" in response.content.decode()

    response = _answer(client, url, "Sam <b>Smith</b>")
    assert response.status_code == 303 and response["Location"].endswith("/question/sen")
    response = _answer(client, response["Location"], "yes")
    # "yes" shows the follow-up question.
    assert response["Location"].endswith("/question/sen_detail")
    response = _answer(client, response["Location"], "Uses a wheelchair")
    assert response["Location"].endswith("/documents")

    documents = response["Location"]
    pdf = SimpleUploadedFile(
        "proof of address.pdf",
        b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n",
        content_type="application/pdf",
    )
    assert client.post(documents, {"document": pdf, "action": "upload"}).status_code == 302
    photo = SimpleUploadedFile("../../etc/letter.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    assert client.post(documents, {"document": photo, "action": "upload"}).status_code == 302
    page = client.get(documents).content.decode()
    assert "proof of address.pdf" in page and "letter.jpg" in page and "etc/" not in page
    stored = DraftDocument.objects.get(original_name="letter.jpg")
    assert b"Exif" not in stored.file.read()  # re-encoded: no GPS position kept
    response = client.post(documents, {"action": "continue"})
    assert response["Location"].endswith("/contact")

    response = client.post(
        response["Location"], {"email": "parent@example.org", "phone": "01632 960 001"}
    )
    check = response["Location"]
    assert check.endswith("/check-your-answers")
    page = client.get(check).content.decode()
    assert "Check your answers before sending your application" in page
    assert "Sam &lt;b&gt;Smith&lt;/b&gt;" in page and "Uses a wheelchair" in page
    assert "parent@example.org" in page

    # Change an answer: "no" hides the follow-up, and we come straight back to the check page.
    change = re.search(r'href="([^"]*/question/sen\?return=check)"', page).group(1)
    response = _answer(client, change.replace("&amp;", "&"), "no")
    assert response["Location"] == check
    page = client.get(check).content.decode()
    assert "Uses a wheelchair" not in page

    response = client.post(check)
    assert response.status_code == 303
    reference = response["Location"].rsplit("/", 1)[1]
    done = client.get(response["Location"]).content.decode()
    assert "Application sent" in done and reference in done
    case = Case.objects.get(reference=reference)
    assert case.kind == "application" and not case.is_public
    assert case.values == {"child_name": "Sam <b>Smith</b>", "sen": "no"}
    assert case.reporter_email == "parent@example.org"
    assert Attachment.objects.filter(case=case, is_public=False).count() == 2
    # The files keep the names they had (cleaned), for the applicant and for staff.
    names = {"proof of address.pdf", "letter.jpg"}
    assert (
        set(Attachment.objects.filter(case=case).values_list("original_name", flat=True)) == names
    )
    assert all(name in done for name in names) and "etc/" not in done
    from django.test import Client

    assert "letter.jpg" not in Client().get(response["Location"]).content.decode()
    assert not ApplicationDraft.objects.exists()
    # This browser may track it; nobody else may.
    track = client.get(f"/track/{reference}")
    assert track.status_code == 200 and "Application received" in track.content.decode()
    # Their own answers, escaped (ADR 100); a stranger sees nothing at all.
    assert "Sam &lt;b&gt;Smith&lt;/b&gt;" in track.content.decode()
    from django.test import Client

    assert Client().get(f"/track/{reference}").status_code == 404


def test_bad_documents_are_refused_with_a_clear_message(client, council):
    url = _start(client)
    draft = ApplicationDraft.objects.get()
    documents = url.replace("/question/child_name", "/documents")
    cases = [
        (
            SimpleUploadedFile("a.exe", b"MZ\x90\x00binary", content_type="application/pdf"),
            "must be a PDF, JPG or PNG",
        ),
        (
            SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"),
            "The selected file is empty",
        ),
        (
            SimpleUploadedFile(
                "x.pdf", b"%PDF-1.4 /JavaScript (alert) %%EOF", content_type="application/pdf"
            ),
            "contains scripts",
        ),
        (
            SimpleUploadedFile("cut.pdf", b"%PDF-1.4 half a file", content_type="application/pdf"),
            "damaged or incomplete",
        ),
        (
            SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024) + b"%%EOF"),
            "smaller than 10 MB",
        ),
    ]
    for upload, message in cases:
        response = client.post(documents, {"document": upload, "action": "upload"})
        assert response.status_code == 400, message
        assert message in response.content.decode()
    assert not draft.documents.exists()
    response = client.post(documents, {"action": "upload"})
    assert "Select a file to upload" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # the outbox sends the link as the request commits
def test_save_and_return_by_emailed_link_on_another_device(client, council, smtp_mailbox):
    url = _start(client)
    response = _answer(client, url, "Alex", action="save")
    saved = response["Location"]
    assert saved.endswith("/saved")
    page = client.get(saved).content.decode()
    assert "Your application has been saved" in page
    client.post(saved, {"email": "later@example.org"})
    message = smtp_mailbox.wait_for(to="later@example.org")
    link = re.search(r"http://testserver(/apply/resume/\S+)", text_of(message)).group(1)

    from django.test import Client

    other = Client()
    # Without the link, the draft is invisible to another browser.
    assert other.get(url).status_code == 404
    response = other.get(link)
    assert response.status_code == 303 and response["Location"].endswith("/question/sen")
    page = other.get(url).content.decode()
    assert 'value="Alex"' in page


def test_signed_in_drafts_are_kept_in_the_account(client, council):
    user = User.objects.create_user("signed@example.org")
    client.force_login(user)
    url = _start(client)
    _answer(client, url, "Jo", action="save")
    draft = ApplicationDraft.objects.get()
    assert draft.user == user and draft.contact_email == "signed@example.org"
    page = client.get("/my-requests").content.decode()
    assert "Continue: School transport" in page
    client.post("/sign-out")
    assert client.get(url).status_code == 404
    client.force_login(user)
    assert client.get(f"/apply/draft/{draft.key}/")["Location"].endswith("/question/sen")


def test_a_question_hidden_by_an_answer_cannot_be_opened(client, council):
    url = _start(client)
    hidden = url.replace("child_name", "sen_detail")
    assert client.get(hidden).status_code == 303
    assert client.get(url.replace("child_name", "nonsense")).status_code == 404


def test_tampered_list_answers_are_refused(client, council):
    url = _start(client)
    _answer(client, url, "Kim")
    response = _answer(client, url.replace("child_name", "sen"), "<script>")
    assert response.status_code == 400
    assert "Select one of the answers listed" in response.content.decode()
    assert "<script>" not in response.content.decode()


def _valid_answer(field, conditions):
    """An answer for `field`, choosing the option that opens a conditional question if any."""
    keys = [v["key"] for v in field.get("values", [])]
    wanted = conditions.get(field["code"])
    if field["datatype"] == "singlevaluelist":
        return wanted if wanted in keys else keys[0]
    if field["datatype"] == "multivaluelist":
        return [wanted if wanted in keys else keys[0]]
    if field["datatype"] == "number":
        return str(int(field.get("min", 1)))
    if field["datatype"] == "postcode":
        return "ls6 1an"
    if field["code"].endswith("date_of_birth"):
        return "27/03/2015"
    return "An answer"


def _valid_post(field, conditions):
    """What the question page posts: a date input's three parts, or one answer."""
    if field["datatype"] == "date":
        return {"answer-day": "27", "answer-month": "3", "answer-year": "2015"}
    return {"answer": _valid_answer(field, conditions)}


@pytest.mark.parametrize("code", ["school_transport", "garden_waste", "blue_badge"])
def test_every_shipped_application_can_be_completed(client, council, code):
    from django.conf import settings

    from townsquare.catalogue.documents import load_template_file
    from townsquare.catalogue.services import template_publish
    from townsquare.core.actors import Actor

    document = load_template_file(settings.SERVICE_TEMPLATE_LIBRARY / f"{code}.yaml")
    template_publish(council=council, document=document, actor=Actor.system("tests"))
    fields = {f["code"]: f for f in document["fields"]}
    conditions = {
        f["show_if"]["field"]: f["show_if"]["equals"]
        for f in document["fields"]
        if f.get("show_if")
    }
    if document.get("identity", "none") != "none":
        # As after signing in with GOV.UK One Login at that level (tests/identity).
        from townsquare.accounts.models import User

        client.force_login(User.objects.create_user("resident@example.org", None))
        session = client.session
        session["identity.level"] = document["identity"]
        session.save()
    response = client.post(f"/apply/testshire/{code}/")
    url = client.get(response["Location"])["Location"]
    asked = []
    for _ in range(40):
        if "/question/" in url:
            field = fields[url.rsplit("/", 1)[1]]
            page = client.get(url)
            assert page.status_code == 200
            if field["datatype"] == "number":
                bad = client.post(url, {"answer": "lots"})
                assert "must be a number" in bad.content.decode()
            asked.append(field["code"])
            response = client.post(url, _valid_post(field, conditions))
        elif url.endswith("/documents"):
            response = client.post(url, {"action": "continue"})
        elif url.endswith("/contact"):
            response = client.post(url, {"email": "resident@example.org"})
        else:
            break
        assert response.status_code in (302, 303), response.content.decode()[:2000]
        url = response["Location"]
    assert url.endswith("/check-your-answers")
    # Every conditional question was opened by the answers chosen.
    assert set(conditions) <= set(asked)
    assert {f["code"] for f in document["fields"] if f.get("show_if")} <= set(asked)
    # A service with a fee: the page states the amount, and sending says it was seen.
    check = client.get(url).content.decode()
    seen = re.search(r'name="amount_seen" value="(\d+)"', check)
    response = client.post(url, {"amount_seen": seen.group(1)} if seen else {})
    assert response.status_code == 303, response.content.decode()[:3000]
    case = Case.objects.get(reference=response["Location"].rsplit("/", 1)[1])
    assert case.service.code == code and set(case.values) == set(asked)


def test_expired_drafts_and_their_files_are_purged(
    client, council, django_capture_on_commit_callbacks
):
    import datetime as dt
    import os

    from django.core.management import call_command

    url = _start(client)
    documents = url.replace("/question/child_name", "/documents")
    pdf = SimpleUploadedFile("p.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    client.post(documents, {"document": pdf, "action": "upload"})
    stored = DraftDocument.objects.get()
    path = stored.file.path
    ApplicationDraft.objects.update(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert client.get(url).status_code == 404
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_citizen_state", stdout=out)
    assert "Deleted 1 expired drafts" in out.getvalue()
    assert not ApplicationDraft.objects.exists()
    assert not os.path.exists(path)
