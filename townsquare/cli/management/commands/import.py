"""townsquare import — historical cases from CSV exports (with a column mapping) or Open311
request dumps, into one council."""

from __future__ import annotations

import gzip
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.core.errors import DomainError
from townsquare.councils.selectors import council_get
from townsquare.opendata.imports import (
    ImportFailed,
    cases_import,
    mapping_load,
    mapping_names,
    rejections_csv,
)

_SUFFIXES = (".csv", ".csv.gz", ".json", ".xml")


def _importable(path: Path) -> bool:
    return path.name.lower().endswith(_SUFFIXES)


def _files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if _importable(p))
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"No such file or folder: {name}")
    if not files:
        raise CommandError("No .csv, .csv.gz, .json or .xml files to import")
    return files


def _count_rows(files: list[Path]) -> int:
    total = 0
    for path in files:
        if path.name.lower().endswith((".csv", ".csv.gz")):
            opener = gzip.open if path.name.lower().endswith(".gz") else open
            with opener(path, "rb") as handle:
                total += max(
                    0,
                    sum(chunk.count(b"\n") for chunk in iter(lambda h=handle: h.read(1 << 20), b""))
                    - 1,
                )
    return total


class Command(BaseCommand):
    help = (
        "Import historical cases into a council from CSV files (with a column mapping: "
        f"{', '.join(mapping_names())}, or your own YAML) or Open311 JSON/XML dumps "
        "(--mapping open311). Re-running skips rows imported before."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="Files, or folders of .csv/.csv.gz/.json/.xml")
        parser.add_argument("--council", required=True, help="Council slug")
        parser.add_argument(
            "--mapping", required=True, help="A shipped mapping's name or a mapping YAML file"
        )
        parser.add_argument(
            "--rejected",
            default="import-rejected.csv",
            help="Where to write the rejected rows and reasons (CSV)",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar")

    def handle(
        self,
        *args,
        paths: list[str],
        council: str,
        mapping: str,
        rejected: str,
        quiet: bool,
        **options,
    ) -> None:
        files = _files(paths)
        try:
            target = council_get(slug=council)
            loaded = mapping_load(mapping)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        total = _count_rows(files)
        started = time.monotonic()

        def progress(done: int) -> None:
            if quiet:
                return
            elapsed = time.monotonic() - started
            rate = done / elapsed if elapsed else 0
            width = 30
            filled = min(width, int(width * done / total)) if total else 0
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}"
                f"{f'/{total:,}' if total else ''} rows  {rate:,.0f}/s "
            )
            sys.stderr.flush()

        try:
            result = cases_import(council=target, mapping=loaded, paths=files, progress=progress)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        if not quiet:
            sys.stderr.write("\n")
        self.stdout.write(
            f"{result.rows:,} rows read in {elapsed:.1f} s ({result.rows / elapsed:,.0f} rows/s)"
            f"\n  imported: {result.imported:,}\n  already imported before: "
            f"{result.already_imported:,}\n  skipped, category not in the mapping: "
            f"{result.skipped:,}\n  rejected: {len(result.rejected):,}"
        )
        for category, count in result.skipped_categories.most_common(10):
            self.stdout.write(f"    skipped {count:,} x {category}")
        if result.rejected:
            Path(rejected).write_text(rejections_csv(result.rejected), encoding="utf-8")
            for r in result.rejected[:10]:
                self.stdout.write(f"    rejected {r.file}:{r.line} ({r.source_id}): {r.reason}")
            self.stdout.write(f"  Every rejected row and why: {rejected}")
        self.stdout.write(
            self.style.SUCCESS(f"Imported {result.imported:,} cases into {target.name}")
        )
