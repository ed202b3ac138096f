"""REST API v1: a case's attachments (ADR 152). The staff case page's reads and upload, as
the key's principal: the list is case_view_for's photos and documents, a download is
casework.case_attachment, an upload is case_attach_upload."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Field, File, Form, Path, Router, Schema, UploadedFile

from townsquare.api import store
from townsquare.api.http import ApiProblem, principal, problem
from townsquare.api.idempotency import idempotent_create
from townsquare.api.v1 import ERRORS, IDEMPOTENCY_KEY, READ, REFERENCE, WRITE, Time, _case, api
from townsquare.cases import casework
from townsquare.cases.limits import MAX_ATTACHMENT_UPLOAD_BYTES, STORED_FILE_TYPES
from townsquare.cases.models import Case
from townsquare.cases.selectors import AttachmentView, attachment_view, case_view_for
from townsquare.cases.services import case_attach_upload
from townsquare.core.errors import InvalidInput
from townsquare.ui.downloads import attachment_response, stored_extension

router = Router(tags=["attachments"])

ATTACHMENT_ID = Path(..., ge=1, le=2**53, description="The attachment's id")


class AttachmentOut(Schema):
    id: int
    kind: Literal["photo", "document", "link"] = Field(
        description="A stored photo or PDF document, or a link to media held elsewhere"
    )
    content_type: str = Field(description='The stored file\'s type; "" for a link')
    is_public: bool = Field(description="Shown to the public (photos of public cases only)")
    original_name: str = Field(description="The file's name on the sender's device, or \"\"")
    created_at: Time | None
    url: str | None = Field(description="A link's address; null for a stored file")
    download: str | None = Field(description="Where to download a stored file; null for a link")


def _attachment_out(reference: str, item: AttachmentView) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": "link" if item.url else ("document" if item.is_document else "photo"),
        "content_type": item.content_type,
        "is_public": item.is_public,
        "original_name": item.name,
        "created_at": item.created_at,
        "url": item.url or None,
        "download": f"/api/v1/cases/{reference}/attachments/{item.id}" if item.stored else None,
    }


def _attachments(request: HttpRequest, case: Case) -> list[dict[str, Any]]:
    view = case_view_for(case=case, principal=principal(request))
    return [
        _attachment_out(case.reference, a)
        for a in sorted((*view.photos, *view.documents), key=lambda a: a.id)
    ]


@router.get(
    "/cases/{reference}/attachments",
    auth=READ,
    response={200: list[AttachmentOut], **ERRORS},
    summary="A case's attachments",
    operation_id="case_attachments_list",
)
def attachments_list(request: HttpRequest, reference: str = REFERENCE) -> Any:
    """The case's photos, documents and links, oldest first, as the staff case page lists
    them. Internal files are listed only for keys with the read_personal scope; an
    application's documents only for keys that see its papers."""
    return _attachments(request, _case(request, reference))


@router.get(
    "/cases/{reference}/attachments/{attachment_id}",
    auth=READ,
    response={304: None, **ERRORS},
    summary="Download an attachment",
    operation_id="case_attachment_download",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file as stored (photos are re-encoded without metadata)",
                "content": {
                    t: {"schema": {"type": "string", "format": "binary"}} for t in STORED_FILE_TYPES
                },
            }
        }
    },
)
def attachment_download(
    request: HttpRequest, reference: str = REFERENCE, attachment_id: int = ATTACHMENT_ID
) -> HttpResponse:
    """The stored file, streamed with its type. A file this key may not see (an internal
    one without read_personal) is a 404, like one that does not exist. Files never change:
    the ETag is the file's for good."""
    item = casework.case_attachment(
        principal=principal(request),
        reference=reference.strip().upper(),
        attachment_id=attachment_id,
    )
    response = attachment_response(
        item, filename=f"{item.case.reference}-{item.id}.{stored_extension(item)}"
    )
    response["ETag"] = f'"file-{item.id}"'
    # Files never change, so a client may keep one and ask again with If-None-Match.
    response["Cache-Control"] = "private"
    return response


@api.exception_handler(MultiPartParserError)
def _unreadable_form(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return problem(
        400, "bad_request", "The multipart/form-data body cannot be read: check its boundary."
    )


def _upload_print(request: HttpRequest, file: UploadedFile, public: str) -> str:
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    sent = b"\0".join([digest.hexdigest().encode(), (file.name or "").encode(), public.encode()])
    return store.fingerprint(method="POST", path=request.path, body=sent)


@router.post(
    "/cases/{reference}/attachments",
    auth=WRITE,
    response={201: AttachmentOut, **ERRORS},
    summary="Attach a file to a case",
    operation_id="case_attachment_upload",
)
def attachment_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    # Text, as every form field is: only these two words (a form's "0" or "on" is refused).
    public: Form[Literal["true", "false"]] = "false",
    reference: str = REFERENCE,
    idempotency_key: str = IDEMPOTENCY_KEY,
) -> HttpResponse:
    """Send `multipart/form-data` with the `file` (a photo, JPEG, PNG or WebP, stored
    without its metadata, or a PDF document) and `public` (true to show a photo to the
    public; documents stay internal), as the staff case page's upload does. A file larger
    than the limit is a 413; one that is neither a photo nor a PDF a 422 naming `file`. Send
    an `Idempotency-Key` header: a retry with the same key and file gets the first answer."""
    case = _case(request, reference)

    def attach() -> HttpResponse:
        try:
            made = case_attach_upload(
                case=case, actor=principal(request), upload=file, is_public=public == "true"
            )
        except InvalidInput as exc:
            if exc.code == "too_large":
                raise ApiProblem(413, exc.code, exc.message, errors=exc.errors) from None
            raise
        out = _attachment_out(case.reference, attachment_view(made))
        response = api.create_response(request, AttachmentOut(**out).model_dump(), status=201)
        response["Location"] = out["download"]
        return response

    if file.size is not None and file.size > MAX_ATTACHMENT_UPLOAD_BYTES:
        # Not read to be fingerprinted: refused as the service would refuse it.
        return attach()
    return idempotent_create(
        request, request_print=_upload_print(request, file, public), create=attach
    )


api.add_router("", router)
