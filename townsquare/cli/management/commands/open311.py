"""townsquare open311 import-services — Open311 GeoReport v2 documents in and out.

`import-services FILE` turns a council's Open311 service list (`services.xml` or
`services.json`, as its server publishes it) into service templates: `--out DIR` writes one
`<code>.yaml` per service, `--council SLUG` publishes them for that council, and neither
only checks the file. How each service is converted is in `townsquare.open311.importer`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from townsquare.catalogue.documents import dump_template_yaml
from townsquare.catalogue.selectors import services_for_council
from townsquare.catalogue.services import template_publish
from townsquare.core.actors import Actor
from townsquare.core.errors import DomainError
from townsquare.councils.selectors import council_get
from townsquare.councils.services import team_ensure
from townsquare.open311.importer import Entry, ServiceList, ServiceListError, read_service_list


class Command(BaseCommand):
    help = "Work with Open311 GeoReport v2 documents."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import-services",
            help="Turn an Open311 service list (XML or JSON) into service templates.",
            description="Read an Open311 GeoReport v2 service list and convert each service "
            "into a template. Service definitions are read from a folder named "
            "after FILE beside it (services/<code>.xml for services.xml). Without "
            "--council or --out, only check the file.",
        )
        imp.add_argument("file", help="The service list, e.g. services.xml")
        target = imp.add_mutually_exclusive_group()
        target.add_argument("--council", help="Publish the templates for this council (slug)")
        target.add_argument("--out", help="Write <code>.yaml files into this folder")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action.replace('-', '_')}")(**options)

    def _import_services(
        self, file: str, council: str | None, out: str | None, **_: object
    ) -> None:
        try:
            services = read_service_list(Path(file))
        except ServiceListError as exc:
            raise CommandError(f"{exc}. Nothing was changed.") from exc
        self.stdout.write(
            f"{services.source}: {len(services.entries)} service(s) in an "
            f"Open311 {services.format.upper()} service list"
        )
        for note in services.notes:
            self.stdout.write(f"note: {note}")
        if council is not None:
            outcomes = self._publish(services, council)
        elif out is not None:
            outcomes = self._write(services, Path(out))
        else:
            outcomes = {entry.position: ("valid", "") for entry in services.importable}
        counts: Counter[str] = Counter()
        for entry in services.entries:
            if entry.document is None:
                counts["skipped"] += 1
                self.stdout.write(self.style.WARNING(_skipped_line(entry)))
                continue
            status, detail = outcomes[entry.position]
            counts[status] += 1
            self.stdout.write(_imported_line(entry, status, detail))
        self.stdout.write(self.style.SUCCESS(_summary(services, counts, council, out)))

    def _publish(self, services: ServiceList, slug: str) -> dict[int, tuple[str, str]]:
        """Publish every importable entry in one transaction: all of them or, on error, none."""
        try:
            target = council_get(slug=slug)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        actor = Actor.system("townsquare open311 import-services")
        outcomes: dict[int, tuple[str, str]] = {}
        with transaction.atomic():
            # template_publish returns the current version when nothing changed, so comparing
            # version ids tells an unchanged service from a newly published one.
            before = {s.code: s.current_version_id for s in services_for_council(council=target)}
            for entry in services.importable:
                try:
                    version = template_publish(council=target, document=entry.document, actor=actor)
                except DomainError as exc:
                    raise CommandError(
                        f"{services.source}: entry {entry.position} "
                        f"({entry.code}): {exc.message}. Nothing was changed."
                    ) from exc
                status = "unchanged" if before.get(entry.code) == version.id else "imported"
                outcomes[entry.position] = (status, f"v{version.number}")
            # Cases are routed to the team each template names; make sure it exists.
            for code in {e.document["routing"]["team"] for e in services.importable}:
                team_ensure(council=target, code=code, name=code.replace("_", " ").capitalize())
        return outcomes

    def _write(self, services: ServiceList, folder: Path) -> dict[int, tuple[str, str]]:
        """Write `<code>.yaml` per importable entry, leaving files already the same alone."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"{folder}: cannot create the folder: {exc.strerror}") from exc
        source = Path(services.source).name
        outcomes: dict[int, tuple[str, str]] = {}
        for entry in services.importable:
            path = folder / f"{entry.code}.yaml"
            if _same_document(path, entry.document):
                outcomes[entry.position] = ("unchanged", str(path))
                continue
            text = (
                f"# Townsquare service template, imported from the Open311 service list "
                f"{source}.\n# Format: see templates/services/README.md.\n\n"
                + dump_template_yaml(entry.document)
            )
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"{path}: cannot write: {exc.strerror}") from exc
            outcomes[entry.position] = ("imported", str(path))
        return outcomes


def _same_document(path: Path, document: dict) -> bool:
    """Whether `path` already holds `document` (comments and layout aside)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) == document
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False


def _imported_line(entry: Entry, status: str, detail: str) -> str:
    line = f"{status:<10} {entry.code}  {entry.name} [{entry.document['group']}]"
    if detail:
        line += f"  {detail}"
    if entry.notes:
        line += f"  (note: {'; '.join(entry.notes)})"
    return line


def _skipped_line(entry: Entry) -> str:
    which = f"entry {entry.position}"
    if entry.code:
        which += f" (service_code {entry.code!r})"
    return f"{'skipped':<10} {which}: {'; '.join(entry.problems)}"


def _summary(
    services: ServiceList, counts: Counter[str], council: str | None, out: str | None
) -> str:
    reasons = Counter(entry.skipped for entry in services.skipped)
    skipped = f"skipped {counts['skipped']}"
    if reasons:
        skipped += " (" + ", ".join(f"{n} {why}" for why, n in reasons.most_common()) + ")"
    if council is None and out is None:
        return (
            f"Checked: {counts['valid']} can be imported, {skipped}. Nothing was written; "
            f"pass --council SLUG or --out DIR to import."
        )
    where = f"for council {council}" if council is not None else f"into {out}"
    return f"Imported {counts['imported']}, unchanged {counts['unchanged']}, {skipped} {where}."
