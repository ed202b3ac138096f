"""When the outbox cannot take a confirmation email (the database busy or full, messaging's
MessageNotQueued), the area alerts form and "Follow this report" say so and keep nothing,
rather than answering 500."""

from __future__ import annotations

import pytest

from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("not __import__('django').apps.apps.is_installed('townsquare.messaging')"),
    pytest.mark.usefixtures("outbox_refuses"),
]

NOT_SENT = "We could not send the email just now. Try again in a few minutes."


def _subscriptions() -> int:
    from townsquare.messaging.models import Subscription

    return Subscription.objects.count()


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", NOT_SENT), ("cy", "Ni allem anfon yr e-bost ar hyn o bryd")],
)
def test_an_area_alert_that_cannot_be_confirmed_says_so(client, council, language, words):
    client.cookies["django_language"] = language
    form = {
        "where": "point",
        "lat": "51.5",
        "lng": "-1.75",
        "radius": "500",
        "frequency": "daily",
        "email": "near@example.org",
    }
    response = client.post(f"/alerts/{council.slug}/", form)
    body = response.content.decode()
    assert response.status_code == 503
    assert words in body and 'href="#email"' in body
    assert 'value="near@example.org"' in body  # nothing to type again
    assert _subscriptions() == 0


def test_following_by_email_when_the_confirmation_cannot_be_queued(client, council):
    case = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        address="Outside 4 Mill Lane",
        values={"depth": "deep"},
        reporter=Reporter(phone="01632960001"),
        council=council,
    )
    response = client.post(f"/track/{case.reference}/follow", {"email": "n@example.org"})
    body = response.content.decode()
    assert response.status_code == 503
    assert NOT_SENT in body and 'value="n@example.org"' in body
    assert _subscriptions() == 0
