"""townsquare payments reconcile --council SLUG --date YYYY-MM-DD [--out FILE]

The council's payments and refunds for a day as CSV (the same file the staff web offers): one
row per payment and refund, the totals by service, finance code and method, and the day's net.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.accounts.principal import Principal
from townsquare.core.errors import NotFound
from townsquare.councils.selectors import council_get
from townsquare.payments.selectors import reconciliation
from townsquare.staff.payments import reconciliation_csv_text


class Command(BaseCommand):
    help = "Payments: `reconcile` writes a council's day of payments and refunds as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reconcile = sub.add_parser("reconcile", help="a council's payments and refunds for a day")
        reconcile.add_argument("--council", required=True, help="the council's slug")
        reconcile.add_argument("--date", required=True, help="the day, YYYY-MM-DD")
        reconcile.add_argument("--out", help="write the CSV to this file (default: stdout)")

    def handle(self, *args, action: str, council: str, date: str, out: str | None, **options):
        try:
            found_council = council_get(slug=council)
        except NotFound:
            raise CommandError(f"No council has the slug {council!r}") from None
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise CommandError("--date must be a day like 2026-12-06") from None
        found = reconciliation(
            principal=Principal.system("townsquare payments reconcile"),
            council=found_council,
            day=day,
        )
        text = reconciliation_csv_text(found)
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {out}: net {found.net / 100:.2f}\n")
        else:
            self.stdout.write(text, ending="")
