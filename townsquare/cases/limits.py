"""How much a case may carry, decided once for every channel (citizen web, Open311, staff,
imports). case_create enforces these; interfaces read them to say the limit before it is hit
(maxlength, "up to N photos") and to refuse early what is too large to read, never to decide
a number of their own (ADR 81)."""

from __future__ import annotations

MAX_DESCRIPTION = 4000
MAX_MESSAGE = 4000  # updates, notes and replies
MAX_TITLE = 200
MAX_ADDRESS = 300
MAX_POSTCODE = 10
MAX_NAME = 200

# Photos with a report. Ten is what Open311 clients send at most (FixMyStreet sends up to
# three; some apps batch a few more); a form that carries its photos in one request body may
# offer fewer (the citizen web: REPORT_MAX_UPLOAD_BYTES // MAX_PHOTO_BYTES, so three).
MAX_PHOTOS = 10
# Per photo, as received: phone cameras' largest JPEG and HEIC files stay well below this;
# each is shrunk to 2048 px before it is stored.
MAX_PHOTO_BYTES = 20 * 1024 * 1024
MAX_MEDIA_URLS = 10

# Supporting documents with an application (and files staff attach to a case).
MAX_DOCUMENTS = 5
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# What an upload of one file to a case (staff web, REST API) may be before it is read: as large
# as the largest file case_attach_file accepts.
MAX_ATTACHMENT_UPLOAD_BYTES = max(MAX_PHOTO_BYTES, MAX_DOCUMENT_BYTES)
# What case_attach_file stores: photos re-encoded (cases.media) and PDF documents.
STORED_FILE_TYPES = ("image/jpeg", "image/png", "application/pdf")
