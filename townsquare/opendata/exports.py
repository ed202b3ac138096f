"""Anonymised open data: every public case as CSV, GeoJSON or JSON Lines, streamed.

What is exported is chosen, not filtered: the columns below, from public cases of public
services (not test cases), and nothing else. Free text (descriptions, updates) is left out,
since residents write names and phone numbers into it; so is everything about the reporter.

A national export is a million rows, so the writers do as little per row as they can: the
database formats times and flags, names are quoted or encoded once per service, council and
area, and each row is one f-string (ADR 44). Tests hold every format byte for byte equal to
the plain writers kept here as the reference (`_csv_rows_slow`, `_json_slow`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.db.models import CharField, F, Func

from townsquare.cases.selectors import (
    OpenDataRow,
    open_data_cases,
    open_data_names,
    open_data_rows,
)
from townsquare.core.queries import UtcIsoText

# name, meaning: the data dictionary, in column order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("reference", "The request's public reference, e.g. BRS-26-000123."),
    ("council", "The council's short name (slug), e.g. bristol."),
    ("service_code", "The service (category) code, as in the Open311 service list."),
    ("service_name", "The service's name."),
    ("status", "open or closed."),
    ("state", "The service's own workflow state, e.g. in_progress or fixed."),
    ("requested_at", "When the request was made (UTC, ISO 8601)."),
    ("updated_at", "When it last changed (UTC)."),
    ("closed_at", "When it was closed (UTC), empty while open."),
    ("latitude", "WGS84 latitude, 6 decimals (about 0.1 m); empty when not located."),
    ("longitude", "WGS84 longitude, 6 decimals."),
    ("location_approximate", "true when the place was described, not pinned on a map."),
    ("ward", "The electoral ward holding the point, when known."),
    ("channel", "How it was reported: web, open311, phone, email, app, staff or import."),
    ("support_count", "How many others reported the same problem (merged duplicates)."),
)
# Columns whose text people typed (a service name, a ward name) and so could start with a
# formula; the others are codes, numbers and times we generate.
_TYPED_TEXT = tuple(i for i, (name, _) in enumerate(COLUMNS) if name in ("service_name", "ward"))
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "jsonl": "application/x-ndjson",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    """What to export: the councils (None for all) and the format."""

    council_ids: frozenset[int] | None
    fmt: str


def _record(row: OpenDataRow) -> dict[str, object]:
    return dict(zip((name for name, _ in COLUMNS), row, strict=True))


def _csv_cell(value: object) -> object:
    # A cell a spreadsheet would run as a formula is prefixed with a quote: =HYPERLINK(...) and
    # friends must arrive as text (OWASP "CSV injection").
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


_BOOLEANS = tuple(i for i, (name, _) in enumerate(COLUMNS) if name == "location_approximate")
# The writers put columns by position for speed; this keeps them honest if COLUMNS changes.
if _TYPED_TEXT != (3, 12) or _BOOLEANS != (11,) or len(COLUMNS) != 15:
    raise ImportError("opendata.exports' writers need updating for the new COLUMNS")


def stream(export: Export, *, chunk: int = 5000) -> Iterator[str]:
    if export.fmt == "csv":
        return _csv(export, chunk=chunk)
    rows = open_data_rows(council_ids=export.council_ids, chunk=chunk)
    if export.fmt == "geojson":
        return _geojson(rows, chunk=chunk)
    return _jsonl(rows, chunk=chunk)


def _csv_text(values: list[object]) -> str:
    """The cells as csv.writer writes them (quoted when they hold a comma, quote or newline)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()


class _Text(Func):
    """Text the database builds from columns: `template` with {0}, {1}... for the compiled
    arguments. The CSV's fixed-shape cells come out of SQL already joined, so Python handles a
    few strings per row, not fifteen values through csv.writer."""

    output_field = CharField()

    def __init__(self, template: str, *expressions) -> None:
        super().__init__(*expressions)
        self.text_template = template

    def as_sql(self, compiler, connection, **extra):
        compiled = [compiler.compile(e) for e in self.get_source_expressions()]
        if any(params for _, params in compiled):
            raise ValueError("_Text takes columns and database-side expressions only")
        return self.text_template.format(*(sql for sql, _ in compiled)), []


def _csv(export: Export, *, chunk: int) -> Iterator[str]:
    """CSV rows as csv.writer would write them (`_csv_rows_slow` is the reference; a test
    holds the two equal), several times faster: the database joins the cells that are codes,
    times and flags, which need no quoting (codes are [A-Za-z0-9_-], see the catalogue
    schema); names are quoted and neutralised once per service, council and area."""
    yield _csv_text([name for name, _ in COLUMNS]) + "\r\n"
    names = open_data_names()
    services = {i: _csv_text([code, _csv_cell(name)]) for i, (code, name) in names.services.items()}
    councils = {i: _csv_text([slug]) for i, slug in names.councils.items()}
    areas = {i: _csv_text([_csv_cell(name)]) for i, name in names.areas.items()}
    areas[None] = ""
    qs = open_data_cases(council_ids=export.council_ids).annotate(
        # status,state,requested_at,updated_at,closed_at,
        csv_middle=_Text(
            "(CASE WHEN {0} THEN 'open,' ELSE 'closed,' END || {1} || ',' || {2}"
            " || ',' || {3} || ',' || COALESCE({4}, '') || ',')",
            F("is_open"),
            F("state"),
            UtcIsoText("created_at"),
            UtcIsoText("updated_at"),
            UtcIsoText("closed_at"),
        ),
        # ,location_approximate,
        csv_approximate=_Text(
            "(CASE WHEN {0} THEN ',true,' ELSE ',false,' END)", F("location_approximate")
        ),
        # ,channel,support_count
        csv_tail=_Text("(',' || {0} || ',' || {1})", F("channel"), F("support_count")),
    )
    last_id = 0
    while True:
        rows = list(
            qs.filter(id__gt=last_id)
            .order_by("id")
            .values_list(
                "id",
                "reference",
                "council_id",
                "service_id",
                "csv_middle",
                "lat",
                "lng",
                "csv_approximate",
                "area_id",
                "csv_tail",
            )[:chunk]
        )
        if not rows:
            return
        # Coordinates as csv.writer writes round(x, 6): repr, the shortest text of the float.
        yield "".join(
            [
                f"{reference},{councils[council_id]},{services[service_id]},{middle}"
                f"{'' if lat is None else round(lat, 6)},{'' if lng is None else round(lng, 6)}"
                f"{approximate}{areas.get(area_id, '')}{tail}\r\n"
                for (
                    _id,
                    reference,
                    council_id,
                    service_id,
                    middle,
                    lat,
                    lng,
                    approximate,
                    area_id,
                    tail,
                ) in rows
            ]
        )
        last_id = rows[-1][0]


def _csv_rows_slow(rows: Iterable[OpenDataRow]) -> Iterator[str]:
    """The CSV through csv.writer, value by value: what `_csv` must equal."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    yield buffer.getvalue()
    for batch in _batched(rows, 5000):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(
            (
                r[0],
                r[1],
                r[2],
                _csv_cell(r[3]),
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
                "true" if r[11] else "false",
                _csv_cell(r[12]),
                r[13],
                r[14],
            )
            for r in batch
        )
        yield buffer.getvalue()


class _JsonText(dict):
    """Values as json.dumps writes them, each distinct value encoded once: for the columns
    that repeat (councils, services, states, wards...)."""

    def __missing__(self, value: object) -> str:
        text = self[value] = json.dumps(value, ensure_ascii=False)
        return text


def _json_properties(rows: list[OpenDataRow], *, with_place: bool) -> Iterator[str]:
    """Each row's `_record` as json.dumps(..., ensure_ascii=False) writes it (`_json_slow` is
    the reference; a test holds the two equal), without a dict per row; GeoJSON leaves the
    coordinates out of the properties."""
    text = _JsonText()  # per batch, so it stays small; True and 1 never share it (equal keys)
    string = _encode_string

    def time(value: str | None) -> str:
        return "null" if value is None else string(value)

    for r in rows:
        place = (
            f'"latitude": {_json_number(r[9])}, "longitude": {_json_number(r[10])}, '
            if with_place
            else ""
        )
        yield (
            f'{{"reference": {string(r[0])}, "council": {text[r[1]]}, '
            f'"service_code": {text[r[2]]}, "service_name": {text[r[3]]}, '
            f'"status": {text[r[4]]}, "state": {text[r[5]]}, '
            f'"requested_at": {time(r[6])}, "updated_at": {time(r[7])}, '
            f'"closed_at": {time(r[8])}, {place}'
            f'"location_approximate": {"true" if r[11] else "false"}, '
            f'"ward": {text[r[12]]}, "channel": {text[r[13]]}, '
            f'"support_count": {text[r[14]]}}}'
        )


_encode_string = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False


def _json_number(value: float | None) -> str:
    if value is None:
        return "null"
    if -1e308 < value < 1e308:
        return repr(value)  # as json.dumps writes a finite float
    return json.dumps(value)


def _jsonl(rows: Iterable[OpenDataRow], *, chunk: int) -> Iterator[str]:
    for batch in _batched(rows, chunk):
        yield "\n".join(_json_properties(batch, with_place=True)) + "\n"


def _geojson(rows: Iterable[OpenDataRow], *, chunk: int) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    separator = ""
    for batch in _batched(rows, chunk):
        features = []
        for row, properties in zip(batch, _json_properties(batch, with_place=False), strict=True):
            lat, lng = row[9], row[10]
            geometry = (
                "null"
                if lat is None
                else f'{{"type": "Point", "coordinates": [{_json_number(lng)}, '
                f"{_json_number(lat)}]}}"
            )
            features.append(
                f'{{"type": "Feature", "geometry": {geometry}, "properties": {properties}}}'
            )
        yield separator + ",".join(features)
        separator = ","
    yield "]}\n"


def _json_slow(export: Export) -> Iterator[str]:
    """JSON Lines or GeoJSON through json.dumps, row by row: what the fast path must equal."""
    rows = open_data_rows(council_ids=export.council_ids)
    if export.fmt == "jsonl":
        yield from (json.dumps(_record(row), ensure_ascii=False) + "\n" for row in rows)
        return
    yield '{"type":"FeatureCollection","features":['
    first = True
    for row in rows:
        record = _record(row)
        lat, lng = record.pop("latitude"), record.pop("longitude")
        geometry = {"type": "Point", "coordinates": [lng, lat]} if lat is not None else None
        feature = json.dumps(
            {"type": "Feature", "geometry": geometry, "properties": record}, ensure_ascii=False
        )
        yield feature if first else "," + feature
        first = False
    yield "]}\n"


def _batched(rows: Iterable[OpenDataRow], size: int) -> Iterator[list[OpenDataRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch
