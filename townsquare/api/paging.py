"""Opaque cursors over ids, for the lists that page by id (webhook deliveries, the event feed):
a client passes back what it was given and never builds one (ADR 155)."""

from __future__ import annotations

import base64
import binascii
import json

from townsquare.api.http import ApiProblem


def id_cursor_encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode().rstrip("=")


def id_cursor_decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        last_id = json.loads(raw)["id"]
        if not isinstance(last_id, int) or isinstance(last_id, bool) or not 0 <= last_id < 2**63:
            raise ValueError
        return last_id
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise ApiProblem(
            400,
            "bad_cursor",
            "The cursor is not one this API gave: pass next_cursor as it came.",
        ) from None
