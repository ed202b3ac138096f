"""HEAD is answered wherever GET is (RFC 9110, 9.3.2): uptime monitors and link checkers ask
with HEAD, and a 405 there reads as the page being broken. Views take GET and HEAD together
(`require_safe`), never GET alone; the live streams are the exception (a stream has no head)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/healthz", "/reports/", "/report/", "/open-data/"])
def test_public_pages_answer_head_as_they_answer_get(client, council, path):
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code == 200, path
    assert head["Content-Type"] == got["Content-Type"]
    assert head.content == b""


def test_staff_pages_answer_head_and_still_refuse_strangers(council, report, staff_client):
    case, agent = report(), staff_client("agent")
    for path in ("/staff/cases/", f"/staff/cases/{case.reference}"):
        assert Client().head(path).status_code == 302, path
        assert agent.head(path).status_code == 200, path
