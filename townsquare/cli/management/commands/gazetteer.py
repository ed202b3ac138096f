"""townsquare gazetteer import|search — the streets and place names people search for."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.core.actors import Actor
from townsquare.core.errors import DomainError, NotFound
from townsquare.councils.selectors import council_get, places_matching
from townsquare.councils.services import places_import_files

Opener = Callable[[], Iterable[str]]


class Command(BaseCommand):
    help = "Import a council's streets, places and postcodes, or search the gazetteer."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="Replace a council's streets, places and postcodes from Townsquare CSV files "
            "(columns name, lat, lng[, kind][, area]) or from Ordnance Survey's OS Open "
            "Names CSV files as published (the .zip, its DATA folder, or some of its "
            "files: rows outside the council are left out).",
        )
        imp.add_argument("--council", required=True, help="Council slug")
        imp.add_argument(
            "--format", dest="file_format", default="auto", choices=("auto", "csv", "os-open-names")
        )
        imp.add_argument(
            "--attribution",
            default="",
            help="The licence notice to show with the data (OS Open Names: given by default)",
        )
        imp.add_argument(
            "paths",
            nargs="+",
            metavar="path",
            help="CSV files (UTF-8, may be .gz), folders of them, or a .zip",
        )
        search = sub.add_parser("search", help="Find councils, wards, streets and places.")
        search.add_argument("query")
        search.add_argument("--limit", type=int, default=10)
        search.add_argument("--council", default="", help="Only in this council (slug)")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _import(
        self, *, council: str, paths: list[str], file_format: str, attribution: str, **_options
    ) -> None:
        try:
            target = council_get(slug=council)
        except NotFound as exc:
            raise CommandError(str(exc)) from None
        files = [found for path in paths for found in _csv_files(Path(path))]
        if not files:
            raise CommandError(f"No CSV files in {', '.join(paths)}")
        try:
            count, left_out = places_import_files(
                council=target,
                files=files,
                file_format=file_format,
                attribution=attribution,
                actor=Actor.system("gazetteer import"),
            )
        except (OSError, UnicodeDecodeError, zipfile.BadZipFile, EOFError) as exc:
            raise CommandError(f"Cannot read the files as UTF-8 CSV: {exc}") from None
        except DomainError as exc:
            lines = [m for messages in getattr(exc, "errors", {}).values() for m in messages]
            detail = "\n".join(lines or [str(exc)])
            raise CommandError(f"{', '.join(paths)}: nothing imported.\n{detail}") from None
        names = ", ".join(name for name, _opener in files[:3]) + (
            f" and {len(files) - 3} more files" if len(files) > 3 else ""
        )
        self.stdout.write(f"{target.name}: {count} places imported from {names}\n")
        if left_out:
            self.stdout.write(f"{left_out} rows outside {target.name} left out\n")

    def _search(self, *, query: str, limit: int, council: str, **_options) -> None:
        council_id = None
        if council:
            try:
                council_id = council_get(slug=council).id
            except NotFound as exc:
                raise CommandError(str(exc)) from None
        for match in places_matching(query=query, limit=limit, council_id=council_id):
            self.stdout.write(
                f"{match.kind:9} {match.label} ({match.council_name}) "
                f"{match.lat:.5f},{match.lng:.5f}\n"
            )


def _csv_files(path: Path) -> Iterator[tuple[str, Opener]]:
    """(name, opener of its lines) of each CSV file at `path`: a file (.csv or .csv.gz), the
    .csv files in a folder, or those in a .zip (OS ships its data as DATA/*.csv there; the
    documentation beside them is passed over)."""
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name.lower().endswith((".csv", ".csv.gz")):
                yield from _csv_files(child)
        return
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = sorted(
                name
                for name in archive.namelist()
                if name.lower().endswith(".csv") and "/doc/" not in f"/{name.lower()}"
            )
        for member in members:
            yield f"{path.name}:{member}", _zip_member(path, member)
        return
    yield path.name, _file_lines(path)


def _file_lines(path: Path) -> Opener:
    def lines() -> Iterator[str]:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
                yield from handle
        else:
            with path.open(encoding="utf-8", newline="") as handle:
                yield from handle

    return lines


def _zip_member(path: Path, member: str) -> Opener:
    def lines() -> Iterator[str]:
        with zipfile.ZipFile(path) as archive, archive.open(member) as raw:
            yield from io.TextIOWrapper(raw, encoding="utf-8", newline="")

    return lines
