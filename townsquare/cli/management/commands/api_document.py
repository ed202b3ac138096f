"""townsquare api_document — write the REST API's OpenAPI document to docs/api/.

Prints the document's fingerprint: a change to the API needs an entry in
docs/api/CHANGELOG.md that names it (tests/test_api_document.py checks)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from townsquare.api.document import DOCUMENT, document_text, fingerprint


class Command(BaseCommand):
    help = "Write docs/api/openapi-v1.json from the code and print its fingerprint."

    def handle(self, *args, **options) -> None:
        text = document_text()
        DOCUMENT.write_text(text)
        self.stdout.write(
            f"Wrote {DOCUMENT.name}. Fingerprint: {fingerprint(text)} "
            "(name it in a new entry of docs/api/CHANGELOG.md)"
        )
