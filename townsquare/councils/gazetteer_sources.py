"""Reading gazetteer files: Townsquare's own CSV, and Ordnance Survey's OS Open Names CSV files
as OS publishes them (ADR 57). Pure: lines in, `SourceRow`s and problems out; which rows lie
inside the council is decided by services.places_import.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from townsquare.core.errors import InvalidInput
from townsquare.councils.gazetteer import fold, postcode_kind
from townsquare.geo.osgrid import grid_to_wgs84
from townsquare.geo.points import Point

KINDS = ("street", "place", "postcode")
_LAT_COLUMNS = ("lat", "latitude")
_LNG_COLUMNS = ("lng", "lon", "long", "longitude")
_QUALIFIER_COLUMNS = ("area", "qualifier", "locality")
# The aggregate rows of a postcode file say what they are in the area column; the kind says it.
_NOT_QUALIFIERS = frozenset({"postcode sector", "postcode district"})

OS_OPEN_NAMES_COLUMNS = (
    "ID",
    "NAMES_URI",
    "NAME1",
    "NAME1_LANG",
    "NAME2",
    "NAME2_LANG",
    "TYPE",
    "LOCAL_TYPE",
    "GEOMETRY_X",
    "GEOMETRY_Y",
    "MOST_DETAIL_VIEW_RES",
    "LEAST_DETAIL_VIEW_RES",
    "MBR_XMIN",
    "MBR_YMIN",
    "MBR_XMAX",
    "MBR_YMAX",
    "POSTCODE_DISTRICT",
    "POSTCODE_DISTRICT_URI",
    "POPULATED_PLACE",
    "POPULATED_PLACE_URI",
    "POPULATED_PLACE_TYPE",
    "DISTRICT_BOROUGH",
    "DISTRICT_BOROUGH_URI",
    "DISTRICT_BOROUGH_TYPE",
    "COUNTY_UNITARY",
    "COUNTY_UNITARY_URI",
    "COUNTY_UNITARY_TYPE",
    "REGION",
    "REGION_URI",
    "COUNTRY",
    "COUNTRY_URI",
    "RELATED_SPATIAL_OBJECT",
    "SAME_AS_DBPEDIA",
    "SAME_AS_GEONAMES",
)
_OS_ROADS = frozenset(
    {"Named Road", "Numbered Road", "Section Of Named Road", "Section Of Numbered Road"}
)
# Sections of one road within this distance of each other are one street in the gazetteer.
SAME_STREET_WITHIN_M = 1000
OS_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right{year}. "
    "OS Open Names, Open Government Licence v3.0."
)


@dataclass(frozen=True)
class SourceRow:
    name: str
    kind: str
    lat: float
    lng: float
    qualifier: str = ""
    # Where it came from, to name in a problem ("streets.csv line 12").
    where: str = ""


@dataclass
class SourceRead:
    rows: list[SourceRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # OS files cover all of Great Britain: rows well outside the council are passed over.
    passed_over: int = 0
    attribution: str = ""


def sniff(first_line: str) -> str:
    """ "os-open-names" or "csv" from a file's first line (OS data files have no header row;
    the header file OS ships beside them may have been put on top)."""
    cells = next(csv.reader([first_line.lstrip("\ufeff")]), [])
    if len(cells) >= 30 and (
        (cells[0] == "ID" and "GEOMETRY_X" in cells)
        or cells[1].startswith("http://data.ordnancesurvey.co.uk/id/")
    ):
        return "os-open-names"
    return "csv"


def read_places_csv(lines: Iterable[str], *, source: str = "") -> SourceRead:
    """Townsquare's CSV: a header row naming name, lat/latitude, lng/lon/longitude, and
    optionally kind (street, place or postcode; street by default) and area (what tells places
    of one name apart: "Horsforth LS18"). Problems are by line, at most 20."""
    reader = csv.DictReader(_without_bom(lines))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    lat_column = next((columns[c] for c in _LAT_COLUMNS if c in columns), None)
    lng_column = next((columns[c] for c in _LNG_COLUMNS if c in columns), None)
    if "name" not in columns or lat_column is None or lng_column is None:
        raise InvalidInput(
            {
                "csv": [
                    "The first row must name the columns: name, lat and lng "
                    "(and optionally kind and area)"
                ]
            },
            code="bad_gazetteer",
        )
    qualifier_column = next((columns[c] for c in _QUALIFIER_COLUMNS if c in columns), None)
    read = SourceRead()
    prefix = f"{source} " if source else ""
    for line, row in enumerate(reader, start=2):
        name = " ".join((row.get(columns["name"]) or "").split())
        kind = (row.get(columns.get("kind", ""), "") or "street").strip().lower()
        qualifier = " ".join((row.get(qualifier_column or "", "") or "").split())
        try:
            point = Point.parse(row.get(lat_column), row.get(lng_column))
        except InvalidInput as exc:
            read.problems.append(
                f"{prefix}line {line}: "
                + "; ".join(f"{key} {' '.join(messages)}" for key, messages in exc.errors.items())
            )
        else:
            problem = _row_problem(name, kind)
            if problem:
                read.problems.append(f"{prefix}line {line}: {problem}")
            else:
                read.rows.append(
                    _row(name, kind, point.lat, point.lng, qualifier, f"{prefix}line {line}")
                )
        if len(read.problems) >= 20:
            break
    return read


def _row_problem(name: str, kind: str) -> str:
    if not name or len(name) > 200:
        return "the name must be 1 to 200 characters"
    if not fold(name):
        return "the name has no letters or digits"
    if kind not in KINDS:
        return f"kind must be street, place or postcode, not {kind!r}"
    if kind == "postcode" and postcode_kind(name) is None:
        return f"{name!r} is not a postcode, postcode sector or postcode district"
    return ""


def _row(name: str, kind: str, lat: float, lng: float, qualifier: str, where: str) -> SourceRow:
    if kind == "postcode":
        kind, name = postcode_kind(name) or (kind, name)
    if qualifier.lower() in _NOT_QUALIFIERS:
        qualifier = ""
    return SourceRow(name=name, kind=kind, lat=lat, lng=lng, qualifier=qualifier[:200], where=where)


def read_os_open_names(
    files: Iterable[tuple[str, Iterable[str]]],
    *,
    near: Callable[[float, float], bool] | None = None,
) -> SourceRead:
    """OS Open Names CSV files as published (one per 100 km grid square, without a header
    row, eastings and northings in British National Grid metres): named and numbered roads
    become streets (the sections of a road within 1 km of each other become one street, at
    their mean point, told apart by settlement and postcode districts: "Horsforth LS18"),
    populated places become places, and postcodes postcodes. Welsh and Gaelic second names
    are kept as names too. `near(easting, northing)` passes over rows far from the council
    before their coordinates are converted."""
    read = SourceRead()
    sections: dict[tuple[str, str], list[tuple[float, float, str]]] = {}
    years: set[str] = set()
    for source, lines in files:
        years.add(_year_of(source))
        for line, cells in enumerate(csv.reader(_without_bom(lines)), start=1):
            if len(cells) < len(OS_OPEN_NAMES_COLUMNS) or cells[0] == "ID":
                if cells and cells[0] != "ID":
                    read.problems.append(
                        f"{source} line {line}: expected the "
                        f"{len(OS_OPEN_NAMES_COLUMNS)} columns of OS Open "
                        f"Names, found {len(cells)}"
                    )
                continue
            row = dict(zip(OS_OPEN_NAMES_COLUMNS, cells, strict=False))
            kind = _os_kind(row)
            if kind is None:
                continue
            try:
                easting, northing = float(row["GEOMETRY_X"]), float(row["GEOMETRY_Y"])
            except ValueError:
                read.problems.append(
                    f"{source} line {line}: GEOMETRY_X and GEOMETRY_Y must "
                    "be eastings and northings in metres"
                )
                if len(read.problems) >= 20:
                    return read
                continue
            if near is not None and not near(easting, northing):
                read.passed_over += 1
                continue
            names = [n for n in (row["NAME1"].strip(), row["NAME2"].strip()) if n]
            district = row["POSTCODE_DISTRICT"].strip()
            settlement = (row["POPULATED_PLACE"] or row["DISTRICT_BOROUGH"]).strip()
            for name in names:
                if kind == "street":
                    sections.setdefault((name, settlement), []).append(
                        (easting, northing, district)
                    )
                    continue
                lat, lng = grid_to_wgs84(easting, northing)
                qualifier = district if kind == "place" else ""
                problem = _row_problem(name, kind)
                if problem:
                    read.problems.append(f"{source} line {line}: {problem}")
                else:
                    read.rows.append(
                        _row(
                            name,
                            kind,
                            round(lat, 6),
                            round(lng, 6),
                            qualifier,
                            f"{source} line {line}",
                        )
                    )
    for (name, settlement), points in sorted(sections.items()):
        for cluster in _clusters(points):
            easting = sum(p[0] for p in cluster) / len(cluster)
            northing = sum(p[1] for p in cluster) / len(cluster)
            lat, lng = grid_to_wgs84(easting, northing)
            districts = " ".join(sorted({p[2] for p in cluster if p[2]}))
            qualifier = " ".join(part for part in (settlement, districts) if part)
            if not _row_problem(name, "street"):
                read.rows.append(
                    SourceRow(
                        name=name,
                        kind="street",
                        lat=round(lat, 6),
                        lng=round(lng, 6),
                        qualifier=qualifier[:200],
                        where=f"OS Open Names road {name}",
                    )
                )
    year = max((y for y in years if y), default="")
    read.attribution = OS_ATTRIBUTION.format(year=f" {year}" if year else "")
    return read


def _os_kind(row: dict[str, str]) -> str | None:
    if row["TYPE"] == "populatedPlace":
        return "place"
    if row["TYPE"] == "transportNetwork" and row["LOCAL_TYPE"] in _OS_ROADS:
        return "street"
    if row["TYPE"] == "other" and row["LOCAL_TYPE"] == "Postcode":
        return "postcode"
    return None


def _year_of(source: str) -> str:
    """OS names its downloads by date ("opname_csv_gb_2025_04"); otherwise unknown."""
    for part in source.replace("-", "_").split("_"):
        if len(part) == 4 and part.isdigit() and part.startswith("20"):
            return part
    return ""


def _clusters(points: list[tuple[float, float, str]]) -> Iterator[list[tuple[float, float, str]]]:
    """Sections joined when one lies within SAME_STREET_WITHIN_M of another (single linkage)."""
    remaining = list(points)
    while remaining:
        cluster = [remaining.pop()]
        grew = True
        while grew:
            grew = False
            for point in list(remaining):
                if any(
                    math.dist(point[:2], member[:2]) <= SAME_STREET_WITHIN_M for member in cluster
                ):
                    cluster.append(point)
                    remaining.remove(point)
                    grew = True
        yield cluster


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    first = True
    for line in lines:
        yield line.lstrip("\ufeff") if first else line
        first = False
