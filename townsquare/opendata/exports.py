"""Anonymised open data: every public case as CSV, GeoJSON or JSON Lines, streamed.

What is exported is chosen, not filtered: the columns below, from public cases of public
services (not test cases), and nothing else. Free text (descriptions, updates) is left out,
since residents write names and phone numbers into it; so is everything about the reporter.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from townsquare.cases.selectors import OpenDataRow, open_data_rows

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
FORMATS = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json",
           "jsonl": "application/x-ndjson"}
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
# _csv writes columns by position for speed; this keeps it honest if COLUMNS changes.
if _TYPED_TEXT != (3, 12) or _BOOLEANS != (11,) or len(COLUMNS) != 15:
    raise ImportError("opendata.exports._csv needs updating for the new COLUMNS")


def stream(export: Export, *, chunk: int = 5000) -> Iterator[str]:
    rows = open_data_rows(council_ids=export.council_ids, chunk=chunk)
    if export.fmt == "csv":
        return _csv(rows)
    if export.fmt == "geojson":
        return _geojson(rows)
    return (json.dumps(_record(row), ensure_ascii=False) + "\n" for row in rows)


def _csv(rows: Iterable[OpenDataRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    yield buffer.getvalue()
    # Typed text repeats (a few service and ward names): neutralise each distinct value once.
    safe: dict[str, object] = {}

    def cell(value: object) -> object:
        try:
            return safe[value]
        except KeyError:
            safe[value] = _csv_cell(value)
            return safe[value]

    for batch in _batched(rows, 5000):
        buffer.seek(0)
        buffer.truncate()
        # Column order as in COLUMNS; service_name (3) and ward (12) are typed text,
        # location_approximate (11) is written true/false.
        writer.writerows(
            (r[0], r[1], r[2], cell(r[3]), r[4], r[5], r[6], r[7], r[8], r[9], r[10],
             "true" if r[11] else "false", cell(r[12]), r[13], r[14])
            for r in batch)
        yield buffer.getvalue()


def _geojson(rows: Iterable[OpenDataRow]) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    first = True
    for row in rows:
        record = _record(row)
        lat, lng = record.pop("latitude"), record.pop("longitude")
        geometry = {"type": "Point", "coordinates": [lng, lat]} if lat is not None else None
        feature = json.dumps({"type": "Feature", "geometry": geometry, "properties": record},
                             ensure_ascii=False)
        yield feature if first else "," + feature
        first = False
    yield "]}\n"


def _batched(rows: Iterable[OpenDataRow], size: int) -> Iterator[list[OpenDataRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch
