"""townsquare worker — runs background tasks from the database queue."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background worker (django-tasks database backend)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to wait when the queue is empty"
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="Stop after this many tasks (for tests)"
        )
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then stop")

    def handle(self, *args, interval: float, max_tasks: int | None, batch: bool, **options):
        extra = ["--no-startup-delay", "--interval", str(interval)]
        if max_tasks is not None:
            extra += ["--max-tasks", str(max_tasks)]
        if batch:
            extra.append("--batch")
        elif settings.MESSAGING_DISPATCH == "thread" and apps.is_installed("townsquare.messaging"):
            # A web process dispatches its own events at once; this long-lived process also
            # looks every few seconds for events no web process dispatched (written by the
            # command line, an import, or a process that died first) so none waits for the
            # next web request.
            from townsquare.messaging.handlers import dispatcher

            dispatcher.wake()
        if not batch:
            # Retention and clean-up jobs on a clock (core/periodic.py); safe in every worker.
            from townsquare.core.periodic import periodic_start

            periodic_start()
        call_command("db_worker", *extra, verbosity=options.get("verbosity", 1))
