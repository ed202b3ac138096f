"""The REST API's OpenAPI document as committed (docs/api/openapi-v1.json) and its
fingerprint, which every entry of docs/api/CHANGELOG.md names (ADR 121)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from townsquare.api.v1 import api

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi-v1.json"
CHANGELOG = DOCUMENT.parent / "CHANGELOG.md"


def document_text() -> str:
    """The document as served at /api/v1/openapi.json, as stable text."""
    return json.dumps(api.get_openapi_schema(), indent=2, ensure_ascii=False) + "\n"


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
