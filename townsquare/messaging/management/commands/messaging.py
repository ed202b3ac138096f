"""townsquare messaging — the outbox: dispatch, send, status, dead letters, digests, templates."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.accounts.models import User
from townsquare.accounts.principal import Principal
from townsquare.core.errors import DomainError
from townsquare.councils.selectors import council_get, council_list, team_get
from townsquare.messaging import selectors, services
from townsquare.messaging.defaults import KEYS
from townsquare.messaging.digests import digests_send_due
from townsquare.messaging.outbox import outbox_dispatch
from townsquare.messaging.sending import outbox_send_due
from townsquare.messaging.templates import preview


class Command(BaseCommand):
    help = "Notifications: dispatch events, send the outbox, dead letters, digests, templates."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("dispatch", help="Turn new events into outbox messages now")
        sub.add_parser("send", help="Dispatch, then send every message due now")
        sub.add_parser("status", help="How many messages are in each state")
        dead = sub.add_parser("dead-letters", help="Messages that could not be sent")
        dead.add_argument("--limit", type=int, default=20)
        retry = sub.add_parser("retry", help="Send a dead letter again")
        retry.add_argument("message_id", type=int)
        bulk = sub.add_parser(
            "retry-dead",
            help="Send a council's dead letters again (those that ran out of tries), "
            "once the cause is fixed",
        )
        which = bulk.add_mutually_exclusive_group(required=True)
        which.add_argument("--council", default="", help="The council's slug")
        which.add_argument("--all-councils", action="store_true", help="Every council")
        bulk.add_argument(
            "--limit",
            type=int,
            default=services.BULK_RETRY_LIMIT,
            help="At most this many per council (the oldest first)",
        )
        digests = sub.add_parser("digests", help="Write the daily digests that are due")
        digests.add_argument(
            "--now", action="store_true", help="Write every waiting digest now, due or not"
        )
        show = sub.add_parser("preview", help="A template filled with example values")
        show.add_argument("key", choices=KEYS)
        show.add_argument("--council", default="")
        show.add_argument("--service", default="")
        show.add_argument("--language", default="en", choices=["en", "cy"])
        watch = sub.add_parser("watch", help="Email a staff member about new cases in a queue")
        watch.add_argument("email")
        watch.add_argument("council")
        watch.add_argument("--team", default="")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, "do_" + action.replace("-", "_"))(**options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def do_dispatch(self, **_):
        self.stdout.write(f"Planned {outbox_dispatch()} messages.")

    def do_send(self, **_):
        planned = outbox_dispatch()
        sent = outbox_send_due(budget_seconds=3600)
        self.stdout.write(f"Planned {planned}; handled {sent} messages.")

    def do_status(self, **_):
        counts = selectors.outbox_counts()
        if not counts:
            self.stdout.write("The outbox is empty.")
        for status, n in sorted(counts.items()):
            self.stdout.write(f"{status:12} {n}")

    def do_dead_letters(self, *, limit, **_):
        rows = list(selectors.dead_letters(principal=Principal.system())[:limit])
        if not rows:
            self.stdout.write("No dead letters.")
        for m in rows:
            self.stdout.write(
                f"{m.pk}  {m.status:8} {m.channel:8} {m.recipient[:40]:40} "
                f"tries {m.attempts}  {m.last_error[:60]}"
            )

    def do_retry(self, *, message_id, **_):
        operator = Principal.system("Command line")
        message = selectors.message_get(principal=operator, message_id=message_id)
        services.message_retry(message=message, actor=operator)
        self.stdout.write(f"Message {message_id} queued again.")

    def do_retry_dead(self, *, council, all_councils, limit, **_):
        operator = Principal.system("Command line")
        targets = council_list() if all_councils else [council_get(slug=council)]
        for target in targets:
            outcome = services.dead_letters_retry(council=target, actor=operator, limit=limit)
            self.stdout.write(
                f"{target.name}: {outcome.retried} queued again"
                + (f", {outcome.left} left for another run" if outcome.left else "")
                + (
                    f", {outcome.link_not_kept} left alone (their link is no longer kept)"
                    if outcome.link_not_kept
                    else ""
                )
                + "."
            )

    def do_digests(self, *, now, **_):
        if now:
            from townsquare.core import clock
            from townsquare.messaging.models import Subscription

            Subscription.objects.filter(digest_due_at__isnull=False).update(
                digest_due_at=clock.now()
            )
        self.stdout.write(f"Wrote {digests_send_due()} digests.")

    def do_preview(self, *, key, council, service, language, **_):
        council_id = council_get(slug=council).pk if council else None
        rendered, fragments = preview(
            council_id=council_id, service_code=service, key=key, language=language
        )
        self.stdout.write(f"Subject: {rendered.subject}\n\n{rendered.text}\n")
        if rendered.sms:
            self.stdout.write(
                f"SMS ({fragments} fragment{'s' if fragments != 1 else ''}): {rendered.sms}"
            )

    def do_watch(self, *, email, council, team, **_):
        user = User.objects.filter(email=email.lower()).first()
        if user is None:
            raise CommandError(f"No user {email}")
        target = council_get(slug=council)
        team_obj = team_get(council=target, code=team) if team else None
        if team and team_obj is None:
            raise CommandError(f"{target.name} has no team {team!r}")
        services.queue_watch(user=user, council=target, team=team_obj)
        self.stdout.write(
            f"{email} now hears about new cases in "
            f"{team_obj.name if team_obj else 'every queue'} of {target.name}."
        )
