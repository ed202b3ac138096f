"""townsquare staff totp-code EMAIL — the current sign-in code of a demo staff account."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.accounts.models import SecondFactor
from townsquare.accounts.signin import totp_code_now
from townsquare.demo.loader import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Staff accounts: print a demo account's current authenticator code."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        code = sub.add_parser(
            "totp-code",
            help="Print the current 6-digit code of a demo staff account "
            "(only accounts using the published demo key; real accounts' keys stay secret).",
        )
        code.add_argument("email")

    def handle(self, *args, action: str, email: str, **options) -> None:
        factor = SecondFactor.objects.filter(
            user__email=email.strip().lower(), confirmed_at__isnull=False
        ).first()
        if factor is None:
            raise CommandError(
                f"{email} has no authenticator set up (run `townsquare demo` for the demo accounts)"
            )
        if factor.totp_secret != DEMO_TOTP_SECRET:
            raise CommandError(
                f"{email} is not a demo account: its codes come only from its "
                "owner's authenticator app"
            )
        self.stdout.write(totp_code_now(secret=factor.totp_secret))
