"""The area alert pages over HTTP, in English and Welsh, with bad input."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from townsquare.councils.models import Area
from townsquare.messaging.models import Subscription

pytestmark = pytest.mark.django_db(transaction=True)


def test_subscribe_in_welsh_confirm_and_get_welsh_email(council, smtp, messaging_on):
    client = Client(HTTP_ACCEPT_LANGUAGE="cy")
    page = client.get(f"/alerts/{council.slug}/")
    assert page.status_code == 200
    assert "Cael rhybuddion e-bost am adroddiadau newydd" in page.content.decode()
    west = Area.objects.get(council=council, name="West ward")
    bad = client.post(
        f"/alerts/{council.slug}/",
        {"where": "point", "lat": "abc", "lng": "1e999", "radius": "7", "email": "nope"},
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Rhowch ledred rhwng -90 a 90" in text and "Dewiswch bellter" in text
    assert Subscription.objects.count() == 0
    done = client.post(
        f"/alerts/{council.slug}/",
        {
            "where": "ward",
            "area": str(west.pk),
            "frequency": "immediate",
            "email": "Dewi@Example.org",
            "services": ["pothole"],
        },
    )
    assert done.status_code == 302
    sub = Subscription.objects.get()
    assert (sub.email, sub.language, sub.service_codes) == ("dewi@example.org", "cy", ["pothole"])
    assert "dewi@example.org" in client.get(done["Location"]).content.decode()
    call_command("worker", "--batch", verbosity=0)
    [confirmation] = smtp.to("dewi@example.org")
    assert confirmation["Subject"].startswith("Cadarnhewch")
    link = next(line for line in smtp.text(confirmation).splitlines() if "/alerts/confirm/" in line)
    path = link[link.index("/alerts/confirm/") :].strip()
    assert "Cadarnhau" in client.get(path).content.decode()
    assert client.post(path).status_code == 200
    sub.refresh_from_db()
    assert sub.confirmed_at is not None


def test_bad_input_never_fails(council, messaging_on):
    client = Client()
    assert client.get("/alerts/").status_code == 200
    assert client.get("/alerts/no-such-council/").status_code == 404
    assert client.get("/alerts/confirm/garbage").status_code == 404
    assert client.post("/alerts/unsubscribe/garbage").status_code == 404
    for data in (
        {"where": "ward", "area": "999999"},
        {"where": "x" * 5000},
        {"where": "point", "lat": "NaN", "lng": "inf", "radius": "500"},
        {
            "where": "ward",
            "area": "1",
            "services": ["nope"],
            "frequency": "daily",
            "email": "a@b.example",
        },
    ):
        response = client.post(f"/alerts/{council.slug}/", data)
        assert response.status_code == 400, data
