"""townsquare webhooks — councils' webhook endpoints: add, list, rotate secrets, delivery log."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.accounts.principal import Principal
from townsquare.core.errors import DomainError
from townsquare.councils.selectors import council_get
from townsquare.messaging import selectors, services


class Command(BaseCommand):
    help = "Manage webhook endpoints (as the platform operator)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Register an endpoint and print its signing secret")
        add.add_argument("council", help="Council slug")
        add.add_argument("url")
        add.add_argument(
            "--events",
            default="",
            help="Comma-separated event types (default: all). Known: "
            + ", ".join(services.EVENT_KINDS),
        )
        add.add_argument("--description", default="")
        listing = sub.add_parser("list", help="Endpoints of a council")
        listing.add_argument("council")
        for name, text in (
            ("rotate-secret", "New secret; the old one signs for 24 h more"),
            ("disable", "Stop sending"),
            ("enable", "Start sending again"),
            ("show", "The endpoint and its secret(s)"),
        ):
            cmd = sub.add_parser(name, help=text)
            cmd.add_argument("endpoint_id", type=int)
        listen = sub.add_parser(
            "listen",
            help="Receive and verify deliveries (a local test "
            "receiver; keeps them under var/webhooks/)",
        )
        listen.add_argument("--port", type=int, default=8026)
        listen.add_argument("--host", default="127.0.0.1")
        log = sub.add_parser("deliveries", help="The delivery log of an endpoint")
        log.add_argument("endpoint_id", type=int)
        log.add_argument("--limit", type=int, default=20)

    def handle(self, *args, action: str, **options):
        operator = Principal.system("Command line")
        try:
            getattr(self, "do_" + action.replace("-", "_"))(operator, **options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def do_add(self, operator, *, council, url, events, description, **_):
        endpoint = services.webhook_endpoint_add(
            council=council_get(slug=council),
            url=url,
            actor=operator,
            event_types=[e for e in events.split(",") if e.strip()],
            description=description,
        )
        self.stdout.write(
            f"Endpoint {endpoint.pk}: {endpoint.url}\n"
            f"Events: {', '.join(endpoint.event_types) or 'all'}\n"
            f"Signing secret: {endpoint.secret}"
        )

    def do_list(self, operator, *, council, **_):
        endpoints = selectors.endpoints_for_council(council_id=council_get(slug=council).pk)
        if not endpoints:
            self.stdout.write("No endpoints.")
        for e in endpoints:
            state = "on" if e.is_active else "off"
            self.stdout.write(
                f"{e.pk}  [{state}]  {e.url}  events: {', '.join(e.event_types) or 'all'}"
            )

    def do_show(self, operator, *, endpoint_id, **_):
        e = selectors.endpoint_get(endpoint_id=endpoint_id)
        self.stdout.write(
            f"Endpoint {e.pk}: {e.url} ({'on' if e.is_active else 'off'})\nSecret: {e.secret}"
        )
        if e.previous_secret:
            until = e.previous_secret_expires_at.strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"Previous secret (until {until} UTC): {e.previous_secret}")

    def do_rotate_secret(self, operator, *, endpoint_id, **_):
        e = services.webhook_secret_rotate(
            endpoint=selectors.endpoint_get(endpoint_id=endpoint_id), actor=operator
        )
        until = e.previous_secret_expires_at.strftime("%Y-%m-%d %H:%M")
        self.stdout.write(f"New secret: {e.secret}\nThe old secret also signs until {until} UTC.")

    def do_disable(self, operator, *, endpoint_id, **_):
        services.webhook_endpoint_set_active(
            endpoint=selectors.endpoint_get(endpoint_id=endpoint_id), active=False, actor=operator
        )
        self.stdout.write("Disabled.")

    def do_enable(self, operator, *, endpoint_id, **_):
        services.webhook_endpoint_set_active(
            endpoint=selectors.endpoint_get(endpoint_id=endpoint_id), active=True, actor=operator
        )
        self.stdout.write("Enabled.")

    def do_listen(self, operator, *, host, port, **_):
        from django.conf import settings

        from townsquare.messaging.models import WebhookEndpoint
        from townsquare.messaging.receiver import receiver_serve

        def secrets() -> list[str]:
            found = []
            for secret, previous in WebhookEndpoint.objects.values_list(
                "secret", "previous_secret"
            ):
                found += [s for s in (secret, previous) if s]
            return found

        self.stdout.write(
            f"Listening for webhooks on http://{host}:{port}/ "
            "(signatures checked against every endpoint's secrets)"
        )
        receiver_serve(
            host=host,
            port=port,
            directory=settings.VAR_DIR / "webhooks",
            secrets=secrets,
            say=lambda line: self.stdout.write(line),
        )

    def do_deliveries(self, operator, *, endpoint_id, limit, **_):
        endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
        messages = selectors.endpoint_deliveries(endpoint=endpoint, limit=limit)
        log = selectors.attempts_for(message_ids=[m.pk for m in messages])
        if not messages:
            self.stdout.write("No deliveries yet.")
        for m in messages:
            self.stdout.write(
                f"{m.pk}  {m.created_at:%Y-%m-%d %H:%M:%S}  {m.template:22} "
                f"{m.status:10} tries {m.attempts}"
            )
            for a in log.get(m.pk, []):
                code = a.status_code or "-"
                self.stdout.write(
                    f"      {a.at:%H:%M:%S}  {a.outcome:8} {code}  {a.duration_ms} ms  {a.detail}"
                )
