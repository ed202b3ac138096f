"""Open311 documents prepared once and served many times: the service list and the service
definitions (ADR 220).

They are the most requested documents an Open311 server has (every client fetches the list
before anything else, FixMyStreet on every report form) and they change only when a council
publishes a template or the councils change, a few times a day. So each is rendered once per
(jurisdiction, service code, format, language) and kept as bytes with its ETag, until the
catalogue's or the councils' version moves on; a request then costs a dictionary look-up and no
query (the versions are checked against the database at most once a second, as the caches they
come from are: core.caching).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from townsquare.catalogue.selectors import catalogue_version
from townsquare.councils.selectors import councils_version


@dataclass(frozen=True)
class Prepared:
    body: bytes
    etag: str  # quoted, strong: the same bytes give the same tag in every process


def prepare(body: bytes) -> Prepared:
    return Prepared(body=body, etag=f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"')


# At most this many documents per version: keys are only added for answers that exist (known
# jurisdictions and codes), so it is never reached in practice; it bounds memory all the same.
MAX_DOCUMENTS = 5_000

_lock = threading.Lock()
_version: tuple[int, int] | None = None
_documents: dict[tuple, Prepared] = {}


def prepared_document(key: tuple, build: Callable[[], bytes]) -> Prepared:
    """The document for `key`, built by `build` (which may raise: nothing is kept then) when
    the catalogue or the councils have changed since it was last built."""
    global _version, _documents
    version = (catalogue_version(), councils_version())
    if version != _version:
        with _lock:
            if version != _version:
                _version, _documents = version, {}
    documents = _documents
    found = documents.get(key)
    if found is None:
        found = prepare(build())
        if len(documents) < MAX_DOCUMENTS:
            documents[key] = found
    return found


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 13.1.2: a weak comparison, so a tag a proxy marked weak still matches."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(
        tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(",") if tag.strip()
    )
