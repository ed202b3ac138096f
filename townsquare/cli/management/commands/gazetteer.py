"""townsquare gazetteer import|search — the streets and place names people search for."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.core.actors import Actor
from townsquare.core.errors import DomainError, NotFound
from townsquare.councils.selectors import council_get, places_matching
from townsquare.councils.services import places_import_csv


class Command(BaseCommand):
    help = "Import a council's streets and place names from CSV, or search the gazetteer."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Replace a council's streets and places from a CSV "
                                            "file with columns name, lat, lng[, kind].")
        imp.add_argument("--council", required=True, help="Council slug")
        imp.add_argument("path", help="CSV file (UTF-8)")
        search = sub.add_parser("search", help="Find councils, wards, streets and places.")
        search.add_argument("query")
        search.add_argument("--limit", type=int, default=10)

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _import(self, *, council: str, path: str, **_options) -> None:
        try:
            target = council_get(slug=council)
        except NotFound as exc:
            raise CommandError(str(exc)) from None
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
        try:
            count = places_import_csv(council=target, text=text, source=file.name,
                                      actor=Actor.system("gazetteer import"))
        except DomainError as exc:
            lines = [m for messages in getattr(exc, "errors", {}).values() for m in messages]
            detail = "\n".join(lines or [str(exc)])
            raise CommandError(f"{path}: nothing imported.\n{detail}") from None
        self.stdout.write(f"{target.name}: {count} places imported from {file.name}\n")

    def _search(self, *, query: str, limit: int, **_options) -> None:
        for match in places_matching(query=query, limit=limit):
            self.stdout.write(f"{match.kind:9} {match.name} ({match.council_name}) "
                              f"{match.lat:.5f},{match.lng:.5f}\n")
