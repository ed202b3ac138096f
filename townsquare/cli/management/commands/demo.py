"""townsquare demo — load the demonstration councils, services, staff and cases."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from townsquare.demo.loader import DEMO_PASSWORD, demo_load, demo_logins


class Command(BaseCommand):
    help = "Load the demo (idempotent: running it again changes nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases-per-council", type=int, default=1000)

    def handle(self, *args, cases_per_council: int, **options) -> None:
        demo_load(cases_per_council=cases_per_council, stdout=self.stdout)
        self.stdout.write(f"\nDemo sign-ins (password: {DEMO_PASSWORD}):\n")
        for email, what in demo_logins():
            self.stdout.write(f"  {email:34} {what}\n")
