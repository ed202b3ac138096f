"""The service list and definitions come from prepared documents (ADR 220): the same bytes and
ETag until the catalogue changes, a 304 for a client that holds them, and a new document as soon
as a template is published."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import template
from tests.open311_support import FORMATS
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor

pytestmark = pytest.mark.django_db

PATHS = ("/open311/v2/services.{fmt}", "/open311/v2/services/pothole.{fmt}")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", PATHS)
def test_a_client_holding_the_document_gets_a_304(client, council, fmt, path):
    first = client.get(path.format(fmt=fmt))
    assert first.status_code == 200
    tag = first["ETag"]
    assert tag.startswith('"') and tag.endswith('"')
    again = client.get(path.format(fmt=fmt), HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304
    assert again["ETag"] == tag
    assert again.content == b""
    # A proxy may have marked it weak; one of several tags will do.
    weak = client.get(path.format(fmt=fmt), HTTP_IF_NONE_MATCH=f'"other", W/{tag}')
    assert weak.status_code == 304
    other = client.get(path.format(fmt=fmt), HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200
    assert other.content == first.content


def test_a_prepared_document_costs_no_query(client, council):
    client.get("/open311/v2/services.json")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/open311/v2/services.json")
    assert response.status_code == 200
    assert len(queries) == 0, [q["sql"] for q in queries]


def test_publishing_a_template_changes_the_document_at_once(client, council):
    before = client.get("/open311/v2/services.json")
    template_publish(
        council=council,
        document=template(code="graffiti", name="Graffiti", group="Environment", fields=[]),
        actor=Actor.system(),
    )
    after = client.get("/open311/v2/services.json", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "graffiti" in {s["service_code"] for s in after.json()}
    definition = client.get("/open311/v2/services/graffiti.json")
    assert definition.status_code == 200


def test_documents_are_per_jurisdiction_and_unknown_ones_are_not_kept(
    client, council, other_council
):
    everyone = client.get("/open311/v2/services.json")
    one = client.get("/open311/v2/services.json", {"jurisdiction_id": council.jurisdiction_id})
    assert one.status_code == everyone.status_code == 200
    unknown = client.get("/open311/v2/services.json", {"jurisdiction_id": "nowhere.example"})
    assert unknown.status_code == 404
    missing = client.get("/open311/v2/services/no-such-service.json")
    assert missing.status_code == 404
    assert "ETag" not in missing
