"""Webhooks to a real HTTP receiver: signatures checked with the standardwebhooks reference
package, retries only on temporary failures, the delivery log, and the address guard."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from standardwebhooks import Webhook

from townsquare.accounts.principal import Principal
from townsquare.cases.services import Reporter, case_create, case_transition
from townsquare.core.errors import InvalidInput, PermissionDenied
from townsquare.geo.points import Point
from townsquare.messaging import services
from townsquare.messaging.addresses import AddressRefused, check_url
from townsquare.messaging.models import Message, Status

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker_until(done, *, rounds: int = 10) -> None:
    # Retries are due at once in these tests (messaging_on), so each round can make progress.
    for _ in range(rounds):
        call_command("worker", "--batch", verbosity=0)
        if done():
            return
    raise AssertionError(f"not done after {rounds} worker rounds")


def report():
    return case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
        reporter=Reporter(email="r@example.org"),
    )


def test_receiver_failing_three_times_then_succeeding_gets_the_event_once(
    council, messaging_on, receiver, smtp
):
    hook = receiver([500, 503, 429, 200])
    endpoint = services.webhook_endpoint_add(
        council=council,
        url=hook.url + "/hooks",
        actor=Principal.system(),
        event_types=["case.created"],
    )
    case = report()
    run_worker_until(
        lambda: Message.objects.filter(endpoint=endpoint, status=Status.DELIVERED).exists()
    )
    assert len(hook.requests) == 4
    ids = {r.headers["webhook-id"] for r in hook.requests}
    assert len(ids) == 1  # the same message each time, so receivers can drop repeats
    delivered = hook.requests[-1]
    payload = Webhook(endpoint.secret).verify(delivered.body, delivered.headers)
    assert payload["type"] == "case.created"
    assert payload["data"]["reference"] == case.reference
    assert payload["data"]["council"] == council.slug
    message = Message.objects.get(endpoint=endpoint)
    assert [a.outcome for a in message.log.all()] == ["retry", "retry", "retry", "sent"]
    assert [a.status_code for a in message.log.all()] == [500, 503, 429, 200]


def test_client_errors_are_not_retried_and_filters_apply(
    council, agent, messaging_on, receiver, smtp
):
    hook = receiver([410])
    endpoint = services.webhook_endpoint_add(
        council=council, url=hook.url, actor=Principal.system(), event_types=["case.transitioned"]
    )
    case = report()
    case_transition(case=case, to_state="in_progress", actor=agent)
    run_worker_until(
        lambda: (
            not Message.objects.filter(
                endpoint=endpoint, status__in=[Status.QUEUED, Status.SENDING]
            ).exists()
        )
    )
    [message] = Message.objects.filter(endpoint=endpoint)  # only the filtered kind
    assert message.template == "case.transitioned"
    assert message.status == Status.FAILED and message.attempts == 1
    assert len(hook.requests) == 1


def test_timeouts_are_retried(council, messaging_on, receiver, settings, smtp):
    settings.MESSAGING_WEBHOOK_TIMEOUT = 0.3
    hook = receiver(["hang", 200])  # hangs until the test ends
    endpoint = services.webhook_endpoint_add(
        council=council, url=hook.url, actor=Principal.system()
    )
    report()
    run_worker_until(
        lambda: Message.objects.filter(endpoint=endpoint, status=Status.DELIVERED).exists()
    )
    outcomes = [
        a.outcome for a in Message.objects.get(endpoint=endpoint, template="case.created").log.all()
    ]
    assert outcomes == ["retry", "sent"]


def test_secret_rotation_signs_with_both_secrets_during_the_overlap(
    council, messaging_on, receiver, smtp
):
    hook = receiver([200])
    endpoint = services.webhook_endpoint_add(
        council=council, url=hook.url, actor=Principal.system()
    )
    old_secret = endpoint.secret
    endpoint = services.webhook_secret_rotate(endpoint=endpoint, actor=Principal.system())
    assert endpoint.secret != old_secret
    report()
    run_worker_until(lambda: bool(hook.requests))
    request = hook.requests[0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, endpoint.secret):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "case.created"
    from townsquare.messaging.signing import new_secret

    with pytest.raises(Exception):  # noqa: B017 - the reference package's own error type
        Webhook(new_secret()).verify(request.body, request.headers)


def test_internal_addresses_are_refused_unless_allowed(council, settings):
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = False
    settings.MESSAGING_WEBHOOK_ALLOW_PRIVATE = False
    for url in (
        "http://127.0.0.1:9/",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "ftp://example.org/",
        "http://user:pw@example.org/",
    ):
        with pytest.raises(AddressRefused):
            check_url(url)
    with pytest.raises(InvalidInput) as refused:
        services.webhook_endpoint_add(
            council=council, url="http://127.0.0.1:8080/", actor=Principal.system()
        )
    assert "internal address" in str(refused.value)
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = True
    check_url("http://127.0.0.1:8080/")
    with pytest.raises(AddressRefused):
        check_url("http://10.1.2.3/")
    settings.MESSAGING_WEBHOOK_ALLOW_PRIVATE = True
    check_url("http://10.1.2.3/")


def test_address_refused_at_send_time_too(council, messaging_on, receiver, settings, smtp):
    hook = receiver([200])
    endpoint = services.webhook_endpoint_add(
        council=council, url=hook.url, actor=Principal.system()
    )
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = False  # e.g. DNS now points inside
    report()
    run_worker_until(
        lambda: (
            not Message.objects.filter(
                endpoint=endpoint, status__in=[Status.QUEUED, Status.SENDING]
            ).exists()
        )
    )
    message = Message.objects.get(endpoint=endpoint)
    assert message.status == Status.FAILED and "internal address" in message.last_error
    assert hook.requests == []


def test_only_council_admins_manage_endpoints(council, agent):
    with pytest.raises(PermissionDenied):
        services.webhook_endpoint_add(council=council, url="https://example.org/", actor=agent)


def test_cli_lists_endpoints_and_deliveries(council, messaging_on, receiver, capsys, smtp):
    hook = receiver([200])
    call_command("webhooks", "add", council.slug, hook.url, "--events", "case.created")
    out = capsys.readouterr().out
    assert "Signing secret: whsec_" in out
    endpoint_id = int(out.split()[1].rstrip(":"))
    report()
    run_worker_until(lambda: bool(hook.requests))
    call_command("webhooks", "deliveries", str(endpoint_id))
    log = capsys.readouterr().out
    assert "case.created" in log and "delivered" in log
    assert json.loads(hook.requests[0].body)["type"] == "case.created"


def test_webhook_addresses_are_stored_trimmed_and_refused_with_spaces_inside(council, settings):
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = True
    endpoint = services.webhook_endpoint_add(
        council=council, url="  \thttp://127.0.0.1:9/hook \n", actor=Principal.system()
    )
    assert endpoint.url == "http://127.0.0.1:9/hook"
    # urlsplit would drop a tab or newline silently: the address checked would not be the one kept.
    for url in ("http://127.0.0.1:9/ho ok", "http://127.0.0.1:9/ho\tok", "http://127.0.\n0.1/"):
        with pytest.raises(InvalidInput) as refused:
            services.webhook_endpoint_add(council=council, url=url, actor=Principal.system())
        assert "Remove the spaces" in str(refused.value)


def test_control_characters_never_reach_the_store(council, settings):
    # PostgreSQL cannot store NUL at all: a 500 there before (found by the API's fuzzing).
    settings.MESSAGING_WEBHOOK_ALLOW_LOOPBACK = True
    with pytest.raises(InvalidInput) as refused:
        services.webhook_endpoint_add(
            council=council, url="http://127.0.0.1:9/h\x00ook", actor=Principal.system()
        )
    assert "control characters" in str(refused.value)
    endpoint = services.webhook_endpoint_add(
        council=council,
        url="http://127.0.0.1:9/hook",
        description="Asset\x00 system\x07",
        actor=Principal.system(),
    )
    assert endpoint.description == "Asset system"


def test_a_webhook_connects_to_the_address_it_checked_whatever_dns_answers_next(
    council, messaging_on, receiver, smtp, monkeypatch
):
    """DNS rebinding: the name resolves to an allowed address for the guard's check, then to
    another one. The sender must not look the name up again between the two."""
    import socket

    hook = receiver([200])
    port = int(hook.url.rsplit(":", 1)[1].strip("/"))
    looked_up = socket.getaddrinfo
    lookups: list[str] = []
    rebound = {"after": None}

    def dns(host, *args, **kwargs):
        if host != "hooks.example":
            return looked_up(host, *args, **kwargs)
        lookups.append(host)
        honest = rebound["after"] is None or len(lookups) <= rebound["after"]
        return looked_up("127.0.0.1" if honest else "192.0.2.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    endpoint = services.webhook_endpoint_add(
        council=council, url=f"http://hooks.example:{port}/in", actor=Principal.system()
    )
    rebound["after"] = len(lookups) + 1  # the send's check gets the honest answer, then no more
    report()
    run_worker_until(
        lambda: Message.objects.filter(endpoint=endpoint, status=Status.DELIVERED).exists()
    )
    [delivered] = hook.requests
    assert delivered.headers["host"] == f"hooks.example:{port}"
    assert delivered.path == "/in"
    assert len(lookups) == rebound["after"]  # one lookup for the send, none after the check
