"""A case's stored file as a download, the same way wherever it is served (staff, applicant)."""

from __future__ import annotations

from django.http import FileResponse

from townsquare.cases.models import Attachment
from townsquare.core.errors import NotFound


def attachment_response(item: Attachment, *, filename: str) -> FileResponse:
    """Images open in the browser; anything else (a PDF may carry script) is saved, never
    rendered in the site's origin, and the sandbox CSP stops it acting there if it is.
    NotFound when the stored file has gone."""
    try:
        handle = item.file.open("rb")
    except OSError:
        raise NotFound("No such file") from None
    response = FileResponse(handle, content_type=item.content_type or "application/octet-stream")
    disposition = "inline" if item.content_type.startswith("image/") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    # A person's own papers: never kept by a shared cache or left in a shared computer's cache.
    response["Cache-Control"] = "private, no-store"
    return response


def stored_extension(item: Attachment) -> str:
    return item.file.name.rsplit(".", 1)[-1]
