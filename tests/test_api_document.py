"""The REST API's OpenAPI document is committed, and every change to it is in the changelog
(ADR 121): the generated document must equal docs/api/openapi-v1.json, and an entry of
docs/api/CHANGELOG.md must name its fingerprint."""

from __future__ import annotations

import json

from django.test import Client

from townsquare.api.document import CHANGELOG, DOCUMENT, document_text, fingerprint


def test_the_committed_document_is_the_generated_one():
    assert DOCUMENT.read_text() == document_text(), (
        "The API changed: run `make api-document`, review the diff of "
        "docs/api/openapi-v1.json and add an entry to docs/api/CHANGELOG.md"
    )


def test_the_changelog_names_the_document():
    printed = fingerprint(DOCUMENT.read_text())
    assert f"Document: `{printed}`" in CHANGELOG.read_text(), (
        f"docs/api/CHANGELOG.md has no entry for the document as it is ({printed}): "
        "say what changed for clients, under a new heading, with that fingerprint"
    )


def test_the_served_document_is_the_committed_one(db):
    served = Client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(DOCUMENT.read_text())


def test_every_operation_says_its_scope_and_declares_problem_details():
    document = json.loads(DOCUMENT.read_text())
    assert document["openapi"].startswith("3.1")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("x-scope"), f"{method} {path} names no scope"
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]


def test_no_object_in_the_document_names_a_key_twice():
    # A route's `response` map and its `openapi_extra` can both describe one status (200 and
    # "200"): the JSON then has the key twice, which Swagger UI refuses to render at all.
    repeated = []

    def once_each(pairs):
        keys = [key for key, _ in pairs]
        repeated.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    json.loads(DOCUMENT.read_text(), object_pairs_hook=once_each)
    assert repeated == []
