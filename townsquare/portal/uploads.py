"""Checking a supporting document before it is stored: a PDF without active content, or a
JPEG/PNG image, which is re-encoded so no metadata (such as the GPS position) is kept."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from townsquare.cases.limits import MAX_DOCUMENT_BYTES
from townsquare.cases.media import image_sanitise
from townsquare.cases.services import Document, file_name_clean
from townsquare.core.errors import InvalidInput

# Scripts, launch actions and embedded files have no place in a proof of address or benefit.
_ACTIVE_PDF = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|OpenAction)\b")


def display_name(raw: str) -> str:
    """The file's own name, to show back: no path, no control chars (file_name_clean)."""
    return file_name_clean(raw) or _("Document")


def document_check(upload: UploadedFile) -> Document:
    """The document to store, or InvalidInput with a message for the file upload component."""
    if upload.size is None or upload.size == 0:
        raise InvalidInput({"document": [_("The selected file is empty")]})
    too_large = _("The selected file must be smaller than %(mb)d MB") % {
        "mb": MAX_DOCUMENT_BYTES // (1024 * 1024)
    }
    if upload.size > MAX_DOCUMENT_BYTES:
        raise InvalidInput({"document": [too_large]})
    data = upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput({"document": [too_large]})
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise InvalidInput(
                {
                    "document": [
                        _("The selected PDF is damaged or incomplete. Save it again and upload it.")
                    ]
                }
            )
        if _ACTIVE_PDF.search(data):
            raise InvalidInput(
                {
                    "document": [
                        _(
                            "The selected PDF contains scripts or attached "
                            "files. Print it to a new PDF and upload that."
                        )
                    ]
                }
            )
        return Document(data=data, content_type="application/pdf", extension="pdf")
    try:
        image = image_sanitise(data, name="document")
    except InvalidInput:
        raise InvalidInput(
            {"document": [_("The selected file must be a PDF, JPG or PNG")]}
        ) from None
    return Document(data=image.data, content_type=image.content_type, extension=image.extension)
