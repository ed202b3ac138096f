"""townsquare templates validate|import|export — service templates as YAML files."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.catalogue.documents import (
    TemplateFileError,
    dump_template_yaml,
    library_files,
    load_template_file,
)
from townsquare.catalogue.selectors import services_for_council
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.core.errors import DomainError
from townsquare.councils.selectors import council_get, council_list


def _files(paths: list[str]) -> list[Path]:
    if not paths:
        return library_files(Path(settings.SERVICE_TEMPLATE_LIBRARY))
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(library_files(path))
        elif path.exists():
            found.append(path)
        else:
            raise CommandError(f"{raw}: no such file or folder")
    return found


class Command(BaseCommand):
    help = "Validate, import and export service templates (YAML)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        validate = sub.add_parser("validate", help="Check template files; exit 1 if any is bad.")
        validate.add_argument("paths", nargs="*", help="Files or folders (default: the library)")
        imp = sub.add_parser("import", help="Publish template files into councils.")
        imp.add_argument("paths", nargs="*", help="Files or folders (default: the library)")
        target = imp.add_mutually_exclusive_group(required=True)
        target.add_argument("--council", help="Council slug")
        target.add_argument("--all-councils", action="store_true")
        exp = sub.add_parser("export", help="Write a council's current templates as YAML.")
        exp.add_argument("--council", required=True, help="Council slug")
        exp.add_argument("--out", required=True, help="Folder to write <code>.yaml files into")
        exp.add_argument("codes", nargs="*", help="Only these service codes")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _load_all(self, paths: list[str]) -> list[tuple[Path, dict]]:
        loaded, failures = [], []
        for path in _files(paths):
            try:
                loaded.append((path, load_template_file(path)))
            except TemplateFileError as exc:
                failures.append(exc)
        for exc in failures:
            for problem in exc.problems:
                self.stderr.write(f"{exc.path}: {problem}")
        if failures:
            raise CommandError(f"{len(failures)} template file(s) refused; nothing was changed.")
        return loaded

    def _validate(self, paths: list[str], **_: object) -> None:
        loaded = self._load_all(paths)
        self.stdout.write(self.style.SUCCESS(f"{len(loaded)} template(s) valid."))

    def _import(
        self, paths: list[str], council: str | None, all_councils: bool, **_: object
    ) -> None:
        loaded = self._load_all(paths)
        councils = council_list() if all_councils else [self._council(council)]
        actor = Actor.system("townsquare templates import")
        for target in councils:
            for path, document in loaded:
                try:
                    version = template_publish(council=target, document=document, actor=actor)
                except DomainError as exc:
                    raise CommandError(f"{path}: {exc.message}") from exc
                self.stdout.write(f"{target.slug}: {document['code']} v{version.number}")

    def _export(self, council: str, out: str, codes: list[str], **_: object) -> None:
        target = self._council(council)
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for service in services_for_council(council=target):
            if codes and service.code not in codes:
                continue
            path = folder / f"{service.code}.yaml"
            path.write_text(dump_template_yaml(service.current_version.document), encoding="utf-8")
            written += 1
        self.stdout.write(self.style.SUCCESS(f"Wrote {written} template(s) to {folder}"))

    @staticmethod
    def _council(slug: str | None):
        try:
            return council_get(slug=slug or "")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
