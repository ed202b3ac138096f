from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_lists_councils_and_their_services_by_group(client, council, other_council):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Testshire Council" in body and "Otherton Council" in body
    assert "<h3>Roads</h3>" in body and "Pothole" in body
    assert '<html lang="en' in body


def test_home_has_a_helpful_empty_state(client):
    response = client.get("/")
    assert "No councils are set up yet" in response.content.decode()


def test_health_check(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_unsupported_method_is_refused(client):
    assert client.post("/").status_code == 405
