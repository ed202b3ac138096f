"""townsquare generate --cases N — realistic cases in bulk, for benchmarks and load tests."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.cases.bulk import cases_bulk_create
from townsquare.core.errors import DomainError
from townsquare.councils.selectors import council_get, council_list
from townsquare.demo.generator import generate_case_specs


def _progress_printer(total: int, started: float):
    def show(done: int) -> None:
        elapsed = time.monotonic() - started
        rate = done / elapsed if elapsed else 0
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} cases  {rate:,.0f}/s "
        )
        sys.stderr.flush()

    return show


class Command(BaseCommand):
    help = "Generate N cases following real Boston 2015 patterns inside the existing councils."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--council", action="append", help="Council slug (repeatable)")
        parser.add_argument(
            "--years", type=int, default=2, help="Spread cases over this many recent years"
        )
        parser.add_argument("--seed", type=int, default=2015)
        parser.add_argument("--batch-size", type=int, default=20_000)

    def handle(
        self,
        *args,
        cases: int,
        council: list[str] | None,
        years: int,
        seed: int,
        batch_size: int,
        **options,
    ) -> None:
        if cases < 1:
            raise CommandError("--cases must be at least 1")
        try:
            councils = [council_get(slug=s) for s in council] if council else council_list()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if not councils:
            raise CommandError("No councils: run `townsquare demo` first")
        started = time.monotonic()
        specs = generate_case_specs(count=cases, councils=councils, seed=seed, years=max(1, years))
        written = cases_bulk_create(
            specs,
            batch_size=batch_size,
            actor_label="Generator",
            progress=_progress_printer(cases, started),
            expected_count=cases,
        )
        elapsed = time.monotonic() - started
        sys.stderr.write("\n")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {written:,} cases in {elapsed:.1f} s ({written / elapsed:,.0f}/s)"
            )
        )
