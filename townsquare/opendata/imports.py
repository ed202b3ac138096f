"""Historical cases imported from other systems: CSV exports with a column mapping, and Open311
GeoReport v2 request dumps (JSON or XML).

A mapping (YAML, see `mappings/`) says which column holds what: the source's id, when a case
was opened, closed and due, its status, category, place and channel, and which of the source's
categories become which of the council's services. Each row ends in one of three ways:

- imported: a case (with its `case.created` event, and `case.transitioned` when closed) written
  through `cases.bulk`, in batches, each batch in one transaction with its import records;
- skipped: its category is not in the mapping (counted per category), or it was imported before;
- rejected: something in it is wrong (a date that is not a date, a point off the globe or
  outside the council, closed before opened...); the report names the line and the reason.

Re-running an import changes nothing: every imported row leaves an `ImportedRecord` keyed by
council, source and the source's id, written in the same transaction as its case.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import h3.api.basic_int as h3
import numpy as np
import shapely
import yaml
from django.db import transaction
from shapely.geometry import shape

from townsquare.cases.bulk import CaseSpec, cases_bulk_create
from townsquare.cases.sla import due_times
from townsquare.catalogue.models import ServiceTemplate
from townsquare.catalogue.workflow import Workflow
from townsquare.core.queries import rows_insert
from townsquare.core.text import clean_text
from townsquare.councils.models import Area, Council, Team
from townsquare.opendata.models import ImportedRecord

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
BATCH_SIZE = 10_000
# How close to a "no location" point a coordinate must be to count as that point (~10 m).
_NO_LOCATION_TOLERANCE = 0.0001


class ImportFailed(Exception):
    """The file or mapping cannot be imported at all."""


# ----------------------------------------------------------------------------- mappings


@dataclass(frozen=True)
class Mapping:
    name: str
    source: str
    id: str
    opened_at: str
    timezone: ZoneInfo
    service_column: str
    service_map: dict[str, str]
    unmapped_same_code: bool = False
    datetime_format: str = ""
    closed_at: str = ""
    due_at: str = ""
    status_column: str = ""
    closed_statuses: frozenset[str] = frozenset()
    latitude: str = ""
    longitude: str = ""
    no_location_points: tuple[tuple[float, float], ...] = ()
    address: str = ""
    channel_column: str = ""
    channel_map: dict[str, str] = field(default_factory=dict)
    channel_default: str = "phone"


def mapping_names() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


def mapping_load(name_or_path: str) -> Mapping:
    """A shipped mapping by name (boston, los-angeles, san-francisco, new-york, open311) or a
    YAML file's path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = MAPPINGS_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise ImportFailed(
                f"No mapping called {name_or_path!r}; shipped mappings: "
                f"{', '.join(mapping_names())}, or give a .yaml file"
            )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ImportFailed(f"Cannot read mapping {path}: {exc}") from exc
    return mapping_from_document(document, where=str(path))


def mapping_from_document(document: Any, *, where: str = "mapping") -> Mapping:
    if not isinstance(document, dict):
        raise ImportFailed(f"{where}: a mapping is a YAML dictionary")

    def text(key: str, *, required: bool = False) -> str:
        value = document.get(key, "")
        if not isinstance(value, str) or (required and not value):
            raise ImportFailed(
                f"{where}: {key!r} must name a column"
                if required
                else f"{where}: {key!r} must be text"
            )
        return value

    service = document.get("service")
    if not isinstance(service, dict) or not isinstance(service.get("column"), str):
        raise ImportFailed(f"{where}: 'service' needs a 'column' and a 'map' of categories")
    service_map = service.get("map") or {}
    if not isinstance(service_map, dict):
        raise ImportFailed(f"{where}: service 'map' must map source categories to codes")
    status = document.get("status") or {}
    channel = document.get("channel") or {}
    try:
        zone = ZoneInfo(document.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImportFailed(f"{where}: unknown timezone {document.get('timezone')!r}") from exc
    points = document.get("no_location_points") or []
    try:
        no_location = tuple((float(lat), float(lng)) for lat, lng in points)
    except (TypeError, ValueError) as exc:
        raise ImportFailed(f"{where}: no_location_points is a list of [lat, lng]") from exc
    return Mapping(
        name=text("name") or where,
        source=text("source", required=True),
        id=text("id", required=True),
        opened_at=text("opened_at", required=True),
        timezone=zone,
        service_column=service["column"],
        service_map={str(k): str(v) for k, v in service_map.items()},
        unmapped_same_code=bool(service.get("unmapped_same_code")),
        datetime_format=text("datetime_format"),
        closed_at=text("closed_at"),
        due_at=text("due_at"),
        status_column=str(status.get("column", "")),
        closed_statuses=frozenset(str(s).lower() for s in status.get("closed", [])),
        latitude=text("latitude"),
        longitude=text("longitude"),
        no_location_points=no_location,
        address=text("address"),
        channel_column=str(channel.get("column", "")),
        channel_map={str(k): str(v) for k, v in (channel.get("map") or {}).items()},
        channel_default=str(channel.get("default", "phone")),
    )


# ----------------------------------------------------------------------------- reading files


@contextmanager
def _table(path: Path) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """A file's header and its rows as (line number, cells): CSV as the csv module reads it
    (lists, no dict per row: most rows of a multi-category export are skipped on one cell),
    an Open311 dump as one row per request over the union of the requests' keys."""
    if path.suffix.lower() in (".json", ".xml"):
        records = _open311_records(path)
        header = list(dict.fromkeys(key for record in records for key in record))
        yield header, enumerate(([r.get(k, "") for k in header] for r in records), start=1)
        return
    # A gzipped CSV (".csv.gz", as the demo ships Boston's year) is read as it streams.
    opener = gzip.open if path.name.lower().endswith(".csv.gz") else open
    with opener(path, "rt", newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        yield (header or []), (enumerate(reader, start=2) if header is not None else iter(()))


def _open311_records(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    start = data.lstrip()[:1]
    if start in (b"[", b"{"):
        try:
            value = json.loads(data)
        except ValueError as exc:
            raise ImportFailed(f"{path.name}: not valid JSON ({exc})") from exc
        if isinstance(value, dict):
            value = value.get("service_requests") or value.get("requests") or [value]
        if not isinstance(value, list):
            raise ImportFailed(f"{path.name}: expected a list of service requests")
        return [
            {k: "" if v is None or v == "null" else str(v) for k, v in r.items()}
            if isinstance(r, dict)
            else {}
            for r in value
        ]
    try:
        root = ET.fromstring(data)  # noqa: S314 - no entities are resolved by ElementTree
    except ET.ParseError as exc:
        raise ImportFailed(f"{path.name}: not a complete XML document ({exc})") from exc
    records = []
    for element in root:
        record = {}
        for child in element:
            if len(child) == 0:
                value = (child.text or "").strip()
                record[child.tag] = "" if value == "null" else value
        records.append(record)
    return records


# ----------------------------------------------------------------------------- values


class RowProblem(Exception):
    pass


def _fast_us_datetime(value: str) -> dt.datetime:
    # "01/24/2015 02:36:52 PM": ten times faster than strptime, which dominates the import.
    if len(value) != 22 or value[2] != "/" or value[5] != "/" or value[13] != ":":
        raise ValueError(value)
    hour = int(value[11:13])
    if not 1 <= hour <= 12:
        raise ValueError(value)
    meridiem = value[20:22].upper()
    if meridiem == "PM":
        hour = hour % 12 + 12
    elif meridiem == "AM":
        hour %= 12
    else:
        raise ValueError(value)
    return dt.datetime(
        int(value[6:10]),
        int(value[0:2]),
        int(value[3:5]),
        hour,
        int(value[14:16]),
        int(value[17:19]),
    )


_US_FORMAT = "%m/%d/%Y %I:%M:%S %p"


def _datetime_parser(mapping: Mapping) -> Callable[[str, str], dt.datetime | None]:
    """Text to an aware UTC datetime (None for a blank cell), raising RowProblem."""
    zone = mapping.timezone
    fmt = mapping.datetime_format
    utc = dt.UTC
    if fmt == _US_FORMAT:

        def naive(value: str) -> dt.datetime:
            try:
                return _fast_us_datetime(value)
            except ValueError:
                return dt.datetime.strptime(value, fmt)
    elif fmt:

        def naive(value: str) -> dt.datetime:
            return dt.datetime.strptime(value, fmt)
    else:

        def naive(value: str) -> dt.datetime:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))

    def parse(value: str, what: str) -> dt.datetime | None:
        value = value.strip()
        if not value:
            return None
        try:
            parsed = naive(value)
        except ValueError as exc:
            raise RowProblem(
                f"{what} {value[:40]!r} is not a date and time" + (f" like {fmt}" if fmt else "")
            ) from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return parsed.astimezone(utc)

    return parse


def _coordinate(value: str, what: str, limit: float) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError as exc:
        raise RowProblem(f"{what} {value[:30]!r} is not a number") from exc
    if not -limit <= number <= limit or number != number:
        raise RowProblem(f"{what} {value[:30]} is not on the globe (degrees WGS84)")
    return number


# ----------------------------------------------------------------------------- the import


@dataclass
class Rejection:
    file: str
    line: int
    source_id: str
    reason: str


@dataclass
class ImportResult:
    rows: int = 0
    imported: int = 0
    already_imported: int = 0
    skipped_categories: Counter = field(default_factory=Counter)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return sum(self.skipped_categories.values())


@dataclass
class _Service:
    template: ServiceTemplate
    initial: str
    closed_state: str
    sla: dict[str, Any]
    team_id: int | None
    is_public: bool


def _services(council: Council) -> dict[str, _Service]:
    teams = dict(Team.objects.filter(council=council).values_list("code", "id"))
    services = {}
    for template in ServiceTemplate.objects.select_related("current_version").filter(
        council=council, current_version__isnull=False
    ):
        document = template.current_version.document
        workflow = Workflow(document["workflow"])
        closed = next(
            (c for c, s in workflow.states.items() if s.fms == "fixed"),
            next(iter(sorted(workflow.closed_states)), workflow.initial),
        )
        services[template.code] = _Service(
            template,
            workflow.initial,
            closed,
            document.get("sla") or {},
            teams.get((document.get("routing") or {}).get("team")),
            document.get("privacy", "public") == "public",
        )
    return services


class _Importer:
    def __init__(self, *, council: Council, mapping: Mapping, now: dt.datetime) -> None:
        self.council = council
        self.mapping = mapping
        self.now = now
        self.services = _services(council)
        missing = sorted(
            {code for code in mapping.service_map.values() if code not in self.services}
        )
        if missing:
            raise ImportFailed(
                f"The mapping names services {council.name} does not have: {', '.join(missing)}"
            )
        self.parse_datetime = _datetime_parser(mapping)
        self.boundary = shape(council.boundary)
        shapely.prepare(self.boundary)
        self.areas = [(a.id, shape(a.boundary)) for a in Area.objects.filter(council=council)]
        for _, geometry in self.areas:
            shapely.prepare(geometry)
        self.earlier: set[str] = set(
            ImportedRecord.objects.filter(council=council, source=mapping.source).values_list(
                "source_id", flat=True
            )
        )
        self.this_run: dict[str, tuple[str, int]] = {}

    def columns(self, header: list[str]) -> _Columns:
        """Where the mapping's columns are in this header; a column the header lacks reads as
        the blank cell that `spec` appends to every row it reads past the category."""
        m = self.mapping
        where = {name: i for i, name in enumerate(header)}  # a repeated name: the last one
        blank = len(header)

        def at(name: str) -> int:
            return where.get(name, blank) if name else blank

        return _Columns(
            width=blank,
            category=header.index(m.service_column) if m.service_column in where else None,
            id=at(m.id),
            opened_at=at(m.opened_at),
            closed_at=at(m.closed_at),
            due_at=at(m.due_at),
            status=at(m.status_column),
            latitude=at(m.latitude),
            longitude=at(m.longitude),
            address=at(m.address),
            channel=at(m.channel_column),
        )

    def category(self, row: list[str], columns: _Columns) -> str:
        i = columns.category
        return row[i].strip() if i is not None and i < len(row) else ""

    def spec(
        self, row: list[str], columns: _Columns, category: str, file: str, line: int
    ) -> CaseSpec | str | None:
        """A CaseSpec, the category name when it is not mapped (the row is skipped), or None
        if already imported; raises RowProblem when the row is wrong. `row` gains a blank
        cell at the end (see `columns`)."""
        m = self.mapping
        code = m.service_map.get(category)
        if code is None and m.unmapped_same_code and category in self.services:
            code = category
        if code is None:
            return category or "(no category)"
        if len(row) != columns.width:
            row[:] = (row + [""] * columns.width)[: columns.width]
        row.append("")
        # Kept cleaned in the row too: the caller records the imported id from it.
        source_id = row[columns.id] = clean_text(row[columns.id]).strip()
        if not source_id:
            raise RowProblem(f"no id in column {m.id!r}")
        if source_id in self.this_run:
            seen_file, seen_line = self.this_run[source_id]
            raise RowProblem(f"id {source_id} repeats line {seen_file}:{seen_line}")
        self.this_run[source_id] = (file, line)
        if source_id in self.earlier:
            return None
        service = self.services[code]
        parse = self.parse_datetime
        opened = parse(row[columns.opened_at], "opened")
        if opened is None:
            raise RowProblem(f"no opening time in column {m.opened_at!r}")
        if opened > self.now:
            raise RowProblem(f"opened {opened:%Y-%m-%d %H:%M} UTC, in the future")
        closed = parse(row[columns.closed_at], "closed")
        due = parse(row[columns.due_at], "due")
        if m.status_column:
            is_closed = row[columns.status].strip().lower() in m.closed_statuses
        else:
            is_closed = closed is not None
        if is_closed and closed is None:
            raise RowProblem("closed, but no closing time")
        if not is_closed:
            closed = None
        if closed is not None and closed < opened:
            raise RowProblem(
                f"closed ({closed:%Y-%m-%d %H:%M:%S}) before it was opened "
                f"({opened:%Y-%m-%d %H:%M:%S})"
            )
        if closed is not None and closed > self.now:
            raise RowProblem(f"closed {closed:%Y-%m-%d %H:%M} UTC, in the future")
        lat = _coordinate(row[columns.latitude], "latitude", 90)
        lng = _coordinate(row[columns.longitude], "longitude", 180)
        if (
            lat is None
            or lng is None
            or any(
                abs(lat - a) < _NO_LOCATION_TOLERANCE and abs(lng - b) < _NO_LOCATION_TOLERANCE
                for a, b in m.no_location_points
            )
        ):
            lat = lng = None
        response_due = None
        if due is None and service.sla:
            # The service's own targets, when the file gives none (working-time sums are the
            # dearest step of an import, so only then).
            response_due, due = due_times(service.sla, opened)
        return CaseSpec(
            council_id=self.council.id,
            reference_prefix=self.council.reference_prefix,
            service_id=service.template.id,
            service_version_id=service.template.current_version_id,
            service_code=code,
            kind=service.template.kind,
            initial_state=service.initial,
            state=service.closed_state if closed else service.initial,
            is_open=closed is None,
            is_public=service.is_public,
            created_at=opened,
            updated_at=closed or opened,
            closed_at=closed,
            responded_at=closed,
            response_due_at=response_due,
            resolve_due_at=due,
            title=service.template.name,
            lat=lat,
            lng=lng,
            h3=(
                h3.latlng_to_cell(lat, lng, 7),
                h3.latlng_to_cell(lat, lng, 9),
                h3.latlng_to_cell(lat, lng, 11),
            )
            if lat is not None
            else (None, None, None),
            address=clean_text(row[columns.address]).strip()[:300],
            team_id=service.team_id,
            channel=m.channel_map.get(row[columns.channel].strip(), m.channel_default)
            if m.channel_column
            else m.channel_default,
        )

    def outside(self, batch: list[_Pending]) -> list[_Pending]:
        """The rows whose point is outside the council (one vectorised test per batch)."""
        located = [p for p in batch if p.spec.lat is not None]
        if not located:
            return []
        xs = np.fromiter((p.spec.lng for p in located), float, len(located))
        ys = np.fromiter((p.spec.lat for p in located), float, len(located))
        inside = shapely.contains_xy(self.boundary, xs, ys)
        return [p for p, ok in zip(located, inside.tolist(), strict=True) if not ok]

    def place_in_areas(self, specs: list[CaseSpec]) -> None:
        located = [s for s in specs if s.lat is not None]
        if not located or not self.areas:
            return
        xs = np.fromiter((s.lng for s in located), float, len(located))
        ys = np.fromiter((s.lat for s in located), float, len(located))
        found = np.full(len(located), -1, dtype=np.int64)
        for area_id, geometry in self.areas:
            hit = (found == -1) & shapely.contains_xy(geometry, xs, ys)
            found[hit] = area_id
        for spec, area_id in zip(located, found.tolist(), strict=True):
            spec.area_id = area_id if area_id >= 0 else None

    def write(self, batch: list[_Pending]) -> tuple[int, list[Rejection]]:
        """Write the batch's cases and import records in one transaction; returns how many
        were written and the rows refused for lying outside the council."""
        refused = self.outside(batch)
        rejections = [
            Rejection(
                p.file,
                p.line,
                p.source_id,
                f"the point {p.spec.lat:.5f},{p.spec.lng:.5f} is outside {self.council.name}",
            )
            for p in refused
        ]
        if refused:
            gone = {id(p) for p in refused}
            batch = [p for p in batch if id(p) not in gone]
        specs = [p.spec for p in batch]
        self.place_in_areas(specs)
        if not specs:
            return 0, rejections
        with transaction.atomic():
            cases_bulk_create(
                specs, batch_size=len(specs), actor_label=f"Import: {self.mapping.name}"[:200]
            )
            # Raw inserts: building 10,000 model instances costs more than writing them.
            rows_insert(
                ImportedRecord._meta.db_table,
                ("council_id", "source", "source_id"),
                [(self.council.id, self.mapping.source, p.source_id) for p in batch],
            )
        self.earlier.update(p.source_id for p in batch)
        return len(specs), rejections


class _Columns(NamedTuple):
    width: int
    category: int | None
    id: int
    opened_at: int
    closed_at: int
    due_at: int
    status: int
    latitude: int
    longitude: int
    address: int
    channel: int


@dataclass
class _Pending:
    source_id: str
    spec: CaseSpec
    file: str
    line: int


def cases_import(
    *,
    council: Council,
    mapping: Mapping,
    paths: Iterable[Path],
    progress: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Import every row of `paths` into `council`; see the module's docstring."""
    importer = _Importer(council=council, mapping=mapping, now=now or dt.datetime.now(dt.UTC))
    result = ImportResult()
    skipped = result.skipped_categories
    batch: list[_Pending] = []
    rows = already = 0
    for path in paths:
        file = path.name
        try:
            with _table(path) as (header, lines):
                columns = importer.columns(header)
                for number, row in lines:
                    rows += 1
                    category = importer.category(row, columns)
                    try:
                        outcome = importer.spec(row, columns, category, file, number)
                    except RowProblem as problem:
                        result.rejected.append(
                            Rejection(file, number, row[columns.id][:60], str(problem))
                        )
                        continue
                    if outcome is None:
                        already += 1
                    elif outcome.__class__ is str:
                        skipped[outcome] += 1
                    else:
                        batch.append(_Pending(row[columns.id].strip(), outcome, file, number))
                        if len(batch) >= batch_size:
                            _write(importer, batch, result)
                            batch = []
                    if progress and rows % 5000 == 0:
                        progress(rows)
        except OSError as exc:
            raise ImportFailed(f"Cannot read {path}: {exc}") from exc
        except csv.Error as exc:
            raise ImportFailed(f"{file}: not a readable CSV file ({exc})") from exc
        finally:
            result.rows, result.already_imported = rows, already
    if batch:
        _write(importer, batch, result)
    result.rejected.sort(key=lambda r: (r.file, r.line))
    if progress:
        progress(result.rows)
    return result


def _write(importer: _Importer, batch: list[_Pending], result: ImportResult) -> None:
    written, rejected = importer.write(batch)
    result.imported += written
    result.rejected += rejected


def rejections_csv(rejected: list[Rejection]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "line", "source_id", "reason"])
    for r in rejected:
        writer.writerow([r.file, r.line, r.source_id, r.reason])
    return buffer.getvalue()
