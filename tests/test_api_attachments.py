"""REST API v1: a case's attachments (ADR 152), as the staff case page lists, serves and
takes them: metadata stripped, internal files only for keys that read personal data, the
same refusals as the web's upload, idempotent uploads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.test_api_v1 import client_for, is_problem, key_for, report
from tests.test_media import jpeg_with_gps
from townsquare.api.models import IdempotentRequest
from townsquare.cases.models import Attachment


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _upload(api, reference, data=None, name="photo.jpg", **extra):
    body = {"file": SimpleUploadedFile(name, data or jpeg_with_gps(), "image/jpeg")}
    if "public" in extra:
        body["public"] = extra.pop("public")
    return api.post(f"/api/v1/cases/{reference}/attachments", body, **extra)


def test_upload_list_and_download_a_photo_without_its_metadata(council):
    case = report(council)
    api = client_for(key_for(council))
    made = _upload(api, case.reference, public="true")
    assert made.status_code == 201, made.content
    out = made.json()
    assert out["kind"] == "photo" and out["is_public"] and out["original_name"] == "photo.jpg"
    assert out["created_at"].endswith("Z")
    listed = api.get(f"/api/v1/cases/{case.reference}/attachments").json()
    assert [a["id"] for a in listed] == [out["id"]]
    got = api.get(made["Location"])
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"
    data = b"".join(got.streaming_content)
    assert data[:2] == b"\xff\xd8" and b"PhoneMaker" not in data
    assert api.get(made["Location"], HTTP_IF_NONE_MATCH=got["ETag"]).status_code == 304
    # The timeline says so, as it does for the web's upload.
    kinds = [e["kind"] for e in api.get(f"/api/v1/cases/{case.reference}").json()["timeline"]]
    assert "case.attachment_added" in kinds


def test_internal_files_need_the_personal_scope(council):
    case = report(council)
    writer = client_for(key_for(council, scopes=["read_public", "write_cases"]))
    made = _upload(writer, case.reference)  # internal unless said otherwise
    assert made.status_code == 201 and not made.json()["is_public"]
    assert writer.get(f"/api/v1/cases/{case.reference}/attachments").json() == []
    is_problem(writer.get(made["Location"]), 404)
    personal = client_for(key_for(council, scopes=["read_public", "read_personal"]))
    assert len(personal.get(f"/api/v1/cases/{case.reference}/attachments").json()) == 1
    assert personal.get(made["Location"]).status_code == 200


def test_a_bad_file_and_a_large_one_are_problems(council, monkeypatch):
    case = report(council)
    api = client_for(key_for(council))
    bad = is_problem(_upload(api, case.reference, data=b"not a picture", name="x.exe"), 422)
    assert bad["code"] == "bad_file" and "x.exe must be a photo" in bad["errors"]["file"][0]
    # A PDF is kept as a document, and stays internal.
    pdf = b"%PDF-1.4\n%%EOF\n"
    is_problem(_upload(api, case.reference, data=pdf, name="a.pdf", public="true"), 422)
    doc = _upload(api, case.reference, data=pdf, name="a.pdf")
    assert doc.json()["kind"] == "document"
    assert api.get(doc["Location"])["Content-Type"] == "application/pdf"
    monkeypatch.setattr("townsquare.cases.services.MAX_ATTACHMENT_UPLOAD_BYTES", 100)
    large = is_problem(_upload(api, case.reference), 413)
    assert large["code"] == "too_large" and "file" in large["errors"]
    is_problem(api.post(f"/api/v1/cases/{case.reference}/attachments", {}), 422)
    assert Attachment.objects.filter(case=case).count() == 1


def test_uploads_are_idempotent(council):
    case = report(council)
    api = client_for(key_for(council))
    photo = jpeg_with_gps()
    first = _upload(api, case.reference, data=photo, HTTP_IDEMPOTENCY_KEY="crm-1")
    again = _upload(api, case.reference, data=photo, HTTP_IDEMPOTENCY_KEY="crm-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = _upload(api, case.reference, data=jpeg_with_gps((32, 32)), HTTP_IDEMPOTENCY_KEY="crm-1")
    assert is_problem(other, 422)["code"] == "idempotency_key_reused"
    assert Attachment.objects.filter(case=case).count() == 1
    assert IdempotentRequest.objects.count() == 1


def test_another_councils_case_and_files_are_not_found(council, other_council):
    case = report(council)
    made = _upload(client_for(key_for(council)), case.reference, public="true")
    stranger = client_for(key_for(other_council))
    is_problem(stranger.get(made["Location"]), 404)
    is_problem(stranger.get(f"/api/v1/cases/{case.reference}/attachments"), 404)
    is_problem(_upload(stranger, case.reference), 404)


def test_a_file_missing_from_storage_is_not_found(council):
    case = report(council)
    api = client_for(key_for(council))
    made = _upload(api, case.reference, public="true")
    Attachment.objects.get(id=made.json()["id"]).file.delete(save=False)
    is_problem(api.get(made["Location"]), 404)
