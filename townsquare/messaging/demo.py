"""What the demo sets up for messaging: a signed webhook to the local receiver that `make run`
starts (`townsquare webhooks listen`), and a supervisor watching the highways queue."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from townsquare.accounts.models import User
from townsquare.accounts.principal import Principal
from townsquare.councils.models import Council
from townsquare.councils.selectors import team_get
from townsquare.messaging.models import Subscription, SubscriptionKind, WebhookEndpoint
from townsquare.messaging.services import queue_watch, webhook_endpoint_add

DEMO_WEBHOOK_URL = "http://127.0.0.1:8026/"


def demo_messaging_ensure(*, councils: list[Council], say: Callable[[str], None]) -> None:
    if not councils:
        return
    first = councils[0]
    if not WebhookEndpoint.objects.filter(council=first, url=DEMO_WEBHOOK_URL).exists():
        if settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK or settings.MESSAGING_WEBHOOK_ALLOW_PRIVATE:
            webhook_endpoint_add(
                council=first,
                url=DEMO_WEBHOOK_URL,
                actor=Principal.system("Demo loader"),
                description="The demo's local receiver",
            )
            say(f"Webhook for {first.name}: {DEMO_WEBHOOK_URL}\n")
        else:
            say("No demo webhook: set MESSAGING_WEBHOOK_ALLOW_LOOPBACK=true to add one\n")
    supervisor = User.objects.filter(email=f"supervisor@{first.slug}.example").first()
    team = team_get(council=first, code="highways")
    if (
        supervisor
        and not Subscription.objects.filter(kind=SubscriptionKind.QUEUE, user=supervisor).exists()
    ):
        queue_watch(user=supervisor, council=first, team=team)
