#!/usr/bin/env python
"""Derive Townsquare's compact demo data from the shared real public data set.

Usage (from the repository root):

    .venv/bin/python scripts/derive_demo_data.py [--shared ../shared/data]

Writes, under townsquare/demo/data/:

* boundaries/{bristol,leeds,gloucester}.geojson - one council boundary each
  (2013 local authority districts, UK-GeoJSON by Martin Chorley, OS/ONS data);
* wards/{bristol,leeds,gloucester}.geojson - the council's 2013 electoral wards;
* boston311_2015_sample.csv - a stratified sample of real City of Boston 311
  cases from 2015, re-coded to Townsquare service codes;
* ATTRIBUTION.md - sources, commits and licences.

Standard library + shapely only. The output is deterministic: running the
script twice on the same inputs gives byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from shapely.geometry import Point, mapping, shape
from shapely.ops import unary_union
from shapely.validation import explain_validity, make_valid

# ---------------------------------------------------------------------------
# Boston 311 TYPE (== the CSV file name in boston311_2015/) -> Townsquare
# service code. Chosen by reading the 158 file names and, where unclear, the
# SUBJECT / REASON / QUEUE / CLOSURE_REASON columns of the records.
#
# Deliberately NOT mapped:
# * "Pothole Repair (Internal)" and "Sidewalk Repair (Internal)": internal
#   work logs, 100% "Employee Generated" and closed in the same second they
#   were opened; they are not reports and would distort resolution times.
#   (The public "Request for Pothole Repair" type is absent from the data set.)
# * missed_bin: no missed-collection type exists in this extract (the README
#   notes that bulk item pickup and street cleaning types are missing).
#   "Schedule a Bulk Item Pickup SS" is a booking, not a missed bin.
# * dog_fouling, overgrown_vegetation: no matching Boston type exists.
# * "CE Collection" (street-cleaning crew work log, 99.6% City Worker App).
# ---------------------------------------------------------------------------
BOSTON_TYPE_TO_SERVICE_CODE: dict[str, str] = {
    # pothole: BWSC's pothole type plus street surface repair requests
    # (FixMyStreet's meta-categories put potholes under "Road Surface Defects").
    "BWSC Pothole": "pothole",
    "Roadway Repair": "pothole",
    "Street Light Outages": "street_light",
    "Illegal Dumping": "fly_tipping",
    "Construction Debris": "fly_tipping",
    "Trash on Vacant Lot": "fly_tipping",
    "Graffiti Removal": "graffiti",
    "PWD Graffiti": "graffiti",
    "Catchbasin": "blocked_drain",
    "Abandoned Vehicles": "abandoned_vehicle",
    "Empty Litter Basket": "litter",
    "Litter Basket Maintenance": "litter",
    "Sidewalk Repair": "damaged_pavement",
    "Sidewalk Repair (Make Safe)": "damaged_pavement",
    "Tree Emergencies": "fallen_tree",
    "Tree Maintenance Requests": "fallen_tree",
    "Illegal Posting of Signs": "flyposting",
    "Sign Repair": "damaged_road_sign",
    "Missing Sign": "damaged_road_sign",
    "Pick up Dead Animal": "dead_animal",
}

# Boston "Source" -> Townsquare channel (web, phone, app, email, staff, open311).
BOSTON_SOURCE_TO_CHANNEL: dict[str, str] = {
    "Constituent Call": "phone",
    "Citizens Connect App": "app",
    "Self Service": "web",
    "City Worker App": "staff",
    "Employee Generated": "staff",
    "Maximo Integration": "staff",  # city's internal asset/work-order system
    "Twitter": "email",  # written, asynchronous contact; no 'social' channel
    "Email": "email",
}
DEFAULT_CHANNEL = "phone"

SAMPLE_SIZE = 6000
MIN_PER_CODE = 30
SEED = 2015
CLOSURE_REASON_MAX = 120

COUNCILS = {
    # slug: (LAD13NM in gb_lad_2013.geojson, display name, ward file, check point lat, lon)
    "bristol": (
        "Bristol, City of",
        "Bristol City Council",
        "wards_E06000023_bristol.geojson",
        51.4545,
        -2.5879,
    ),
    "leeds": ("Leeds", "Leeds City Council", "wards_E08000035_leeds.geojson", 53.8008, -1.5491),
    "gloucester": (
        "Gloucester",
        "Gloucester City Council",
        "wards_E07000081_gloucester.geojson",
        51.8642,
        -2.2382,
    ),
}
SIMPLIFY_ABOVE_BYTES = 300_000
SIMPLIFY_TOLERANCE = 0.0002
WARD_SIMPLIFY_TOLERANCE = 0.00005
COORD_DECIMALS = 6

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "townsquare" / "demo" / "data"
BOSTON_DATETIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
)

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(
    # 617-635-4951, (617) 635 4951
    r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s*|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b"
    r"|\b\d{3}[.-]\d{4}\b"  # 635-4951
    r"|\b\d{10}\b"  # 6176354951
)
HONORIFIC_NAME_RE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][A-Za-z'-]+")
CLOSED_DATE_RE = re.compile(r"\s*Closed date\s*:\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?")
WS_RE = re.compile(r"\s+")
CASE_CLOSED_RE = re.compile(r"^Case Closed\.?\s*")


# --------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(msg, file=sys.stderr)


def read_files_tsv(shared: Path) -> dict[str, dict[str, str]]:
    with open(shared / "FILES.tsv", newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


def round_coords(obj, nd=COORD_DECIMALS):
    """Round nested coordinate lists; drop consecutive duplicate positions."""
    if isinstance(obj, (int, float)):
        return round(float(obj), nd)
    if obj and isinstance(obj[0], (int, float)):
        return [round(float(v), nd) for v in obj]
    out = [round_coords(o, nd) for o in obj]
    if out and isinstance(out[0], list) and out[0] and isinstance(out[0][0], float):
        # a ring / line: remove repeated consecutive points introduced by rounding
        dedup = [out[0]]
        for p in out[1:]:
            if p != dedup[-1]:
                dedup.append(p)
        out = dedup
    return out


def polygonal(geom, label: str):
    """make_valid() and keep only the areal part (drops zero-width spikes / slivers)."""
    fixed = make_valid(geom)
    if fixed.geom_type == "GeometryCollection":
        parts = [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        dropped = [
            g.geom_type for g in fixed.geoms if g.geom_type not in ("Polygon", "MultiPolygon")
        ]
        log(f"  ! {label}: dropped non-areal parts after repair: {dropped}")
        fixed = unary_union(parts)
    area_change = abs(fixed.area - geom.area) / geom.area if geom.area else 0.0
    log(f"  ! {label}: repaired ({explain_validity(geom)}); area change {area_change:.4%}")
    return fixed


def clean_geometry(geom_json: dict, tolerance: float | None, label: str) -> tuple[dict, bool]:
    """Round to 6 dp (optionally simplify first) and make sure the result is valid.

    Returns (geometry mapping, repaired?)."""
    geom = shape(geom_json)
    repaired = False
    if not geom.is_valid:
        geom = polygonal(geom, label + " (source)")
        repaired = True
    if tolerance:
        geom = geom.simplify(tolerance, preserve_topology=True)
    rounded = {"type": geom.geom_type, "coordinates": round_coords(mapping(geom)["coordinates"])}
    g2 = shape(rounded)
    if not g2.is_valid:
        g2 = polygonal(g2, label + " (after rounding)")
        repaired = True
        rounded = {"type": g2.geom_type, "coordinates": round_coords(mapping(g2)["coordinates"])}
        assert shape(rounded).is_valid, label
    assert rounded["type"] in ("Polygon", "MultiPolygon"), (label, rounded["type"])
    return rounded, repaired


def dump_feature_collection(features: list[dict], comment: str | None = None) -> str:
    """Compact GeoJSON, one feature per line (small files, readable diffs)."""
    lines = ['{"type":"FeatureCollection",']
    if comment:
        lines.append(f'"attribution":{json.dumps(comment, ensure_ascii=False)},')
    lines.append('"features":[')
    body = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    lines.append(",\n".join(body))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


GEO_ATTRIBUTION = (
    "Derived from UK-GeoJSON by Martin Chorley (CC BY 4.0). Contains OS data © Crown copyright and "
    "database right; Contains National Statistics data © Crown copyright and database right. "
    "See ATTRIBUTION.md."
)


# --------------------------------------------------------------------------- boundaries & wards


def derive_boundaries(shared: Path, out: Path) -> list[str]:
    notes = []
    lad = json.loads((shared / "uk_boundaries" / "gb_lad_2013.geojson").read_text(encoding="utf-8"))
    by_name = {f["properties"]["LAD13NM"]: f for f in lad["features"]}
    for slug, (lad_name, display, ward_file, lat, lon) in COUNCILS.items():
        src = by_name[lad_name]
        props = {"gss_code": src["properties"]["LAD13CD"], "name": display}
        geom, repaired = clean_geometry(src["geometry"], None, f"boundary {slug}")
        if repaired:
            notes.append(
                f"boundary {slug}: source geometry was invalid (TopoJSON decoding artefact); "
                "repaired with make_valid"
            )
        feature = {"type": "Feature", "properties": props, "geometry": geom}
        text = dump_feature_collection([feature], GEO_ATTRIBUTION)
        if len(text.encode()) > SIMPLIFY_ABOVE_BYTES:
            geom, _ = clean_geometry(src["geometry"], SIMPLIFY_TOLERANCE, f"boundary {slug}")
            feature["geometry"] = geom
            text = dump_feature_collection([feature], GEO_ATTRIBUTION)
            notes.append(f"boundary {slug}: simplified (tolerance {SIMPLIFY_TOLERANCE})")
        boundary = shape(geom)
        assert boundary.is_valid, slug
        assert boundary.contains(Point(lon, lat)), (
            f"{slug}: check point {lat},{lon} not inside boundary"
        )
        write_text(out / "boundaries" / f"{slug}.geojson", text)

        # wards
        wsrc = json.loads((shared / "uk_boundaries" / ward_file).read_text(encoding="utf-8"))

        def build(tol, wsrc=wsrc, slug=slug):
            feats = []
            for f in sorted(wsrc["features"], key=lambda f: f["properties"]["WD13CD"]):
                p = f["properties"]
                g, repaired = clean_geometry(
                    f["geometry"], tol, f"ward {p['WD13CD']} {p['WD13NM']}"
                )
                if repaired:
                    notes.append(
                        f"ward {slug} {p['WD13CD']} {p['WD13NM']}: "
                        "geometry repaired with make_valid"
                    )
                feats.append(
                    {
                        "type": "Feature",
                        "properties": {"code": p["WD13CD"], "name": p["WD13NM"]},
                        "geometry": g,
                    }
                )
            return feats

        wards = build(None)
        wtext = dump_feature_collection(wards, GEO_ATTRIBUTION)
        if len(wtext.encode()) > SIMPLIFY_ABOVE_BYTES:
            wards = build(WARD_SIMPLIFY_TOLERANCE)
            wtext = dump_feature_collection(wards, GEO_ATTRIBUTION)
            notes.append(f"wards {slug}: simplified (tolerance {WARD_SIMPLIFY_TOLERANCE})")
        hits = [
            w["properties"]["name"] for w in wards if shape(w["geometry"]).contains(Point(lon, lat))
        ]
        if len(hits) != 1:
            notes.append(f"wards {slug}: check point {lat},{lon} falls in {len(hits)} wards {hits}")
        else:
            notes.append(
                f"{slug}: check point {lat},{lon} inside boundary {props['gss_code']} "
                f"and ward '{hits[0]}'"
            )
        ward_union = unary_union([shape(w["geometry"]) for w in wards])
        outside = ward_union.difference(boundary).area / ward_union.area
        notes.append(
            f"{slug}: {len(wards)} wards; {outside:.2%} of ward area lies outside "
            "the (generalised) district boundary"
        )
        write_text(out / "wards" / f"{slug}.geojson", wtext)
    return notes


# --------------------------------------------------------------------------- Boston 311


def parse_boston_dt(value: str | None) -> dt.datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in BOSTON_DATETIME_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def iso(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else ""


def clean_closure_reason(text: str | None) -> str:
    s = text or ""
    s = CLOSED_DATE_RE.sub("", s)  # boilerplate "Closed date : 2015-10-13 13:20:42.54"
    s = EMAIL_RE.sub("[email]", s)
    s = PHONE_RE.sub("[phone]", s)
    s = HONORIFIC_NAME_RE.sub("[name]", s)
    s = WS_RE.sub(" ", s).strip()  # removes newlines too
    s = CASE_CLOSED_RE.sub("Case Closed ", s).strip()  # "Case Closed." / "Case Closed" -> one form
    if len(s) > CLOSURE_REASON_MAX:
        s = s[:CLOSURE_REASON_MAX].rstrip()
    return s


def allocate(counts: dict[str, int], total: int, floor: int) -> dict[str, int]:
    """Proportional allocation with a per-code floor, capped by availability.

    Codes with <= floor rows keep them all; others get at least `floor` and
    otherwise their share of the remaining budget (largest remainder rounding).
    """
    if sum(counts.values()) <= total:
        return dict(counts)
    fixed: dict[str, int] = {c: n for c, n in counts.items() if n <= floor}
    while True:
        free = {c: n for c, n in counts.items() if c not in fixed}
        budget = total - sum(fixed.values())
        pool = sum(free.values())
        quotas = {c: budget * n / pool for c, n in free.items()}
        low = {c for c, q in quotas.items() if q < floor}
        if not low:
            break
        for c in low:
            fixed[c] = min(floor, counts[c])
    alloc = {c: int(q) for c, q in quotas.items()}
    left = budget - sum(alloc.values())
    for c in sorted(quotas, key=lambda c: (-(quotas[c] - alloc[c]), c))[:left]:
        alloc[c] += 1
    alloc.update(fixed)
    return alloc


def derive_boston(shared: Path, out: Path, files_tsv: dict) -> tuple[dict, list[str], list[str]]:
    notes: list[str] = []
    folder = shared / "boston311_2015"
    available = {p.stem: p for p in folder.glob("*.csv")}
    used_files = []
    for btype in BOSTON_TYPE_TO_SERVICE_CODE:
        if btype not in available:
            notes.append(f"Boston type '{btype}' not found in {folder}; skipped")
    rows_by_code: dict[str, list[tuple]] = defaultdict(list)
    seen_ids: set[str] = set()
    stats = Counter()
    for btype in sorted(BOSTON_TYPE_TO_SERVICE_CODE):
        path = available.get(btype)
        if path is None:
            continue
        used_files.append(f"boston311_2015/{path.name}")
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):  # a leading unnamed index column is simply ignored
                rtype = (row.get("TYPE") or "").strip()
                code = BOSTON_TYPE_TO_SERVICE_CODE.get(rtype)
                if code is None:
                    stats["type_mismatch_skipped"] += 1
                    continue
                case_id = (row.get("CASE_ENQUIRY_ID") or "").strip()
                if case_id and case_id in seen_ids:
                    stats["duplicate_id_skipped"] += 1
                    continue
                seen_ids.add(case_id)
                opened = parse_boston_dt(row.get("OPEN_DT"))
                if opened is None:
                    stats["bad_open_dt_dropped"] += 1
                    continue
                target = parse_boston_dt(row.get("TARGET_DT"))
                closed = parse_boston_dt(row.get("CLOSED_DT"))
                for col, val in (("TARGET_DT", target), ("CLOSED_DT", closed)):
                    if (row.get(col) or "").strip() and val is None:
                        stats[f"bad_{col.lower()}_blanked"] += 1
                raw_status = (row.get("CASE_STATUS") or "").strip().lower()
                status = "closed" if raw_status == "closed" else "open"
                if raw_status not in ("open", "closed"):
                    stats[f"status_{raw_status or 'empty'}_as_open"] += 1
                if status == "open" and closed:
                    stats["open_with_closed_dt"] += 1
                if status == "closed" and not closed:
                    stats["closed_without_closed_dt"] += 1
                if closed and closed < opened:
                    stats["closed_before_opened"] += 1
                source = (row.get("Source") or "").strip()
                channel = BOSTON_SOURCE_TO_CHANNEL.get(source, DEFAULT_CHANNEL)
                if source not in BOSTON_SOURCE_TO_CHANNEL:
                    stats[f"source_unmapped:{source}"] += 1
                reason = clean_closure_reason(row.get("CLOSURE_REASON"))
                rows_by_code[code].append(
                    (iso(opened), case_id, code, iso(target), iso(closed), status, channel, reason)
                )
    full_counts = {c: len(v) for c, v in sorted(rows_by_code.items())}
    alloc = allocate(full_counts, SAMPLE_SIZE, MIN_PER_CODE)
    rng = random.Random(SEED)
    sample = []
    for code in sorted(rows_by_code):
        rows = sorted(rows_by_code[code])  # canonical order before sampling
        k = alloc[code]
        sample.extend(rows if k >= len(rows) else rng.sample(rows, k))
    sample.sort()  # by opened_at, then case id

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "service_code",
            "opened_at",
            "target_at",
            "closed_at",
            "status",
            "channel",
            "closure_reason",
        ]
    )
    for opened, _cid, code, target, closed, status, channel, reason in sample:
        w.writerow([code, opened, target, closed, status, channel, reason])
    write_text(out / "boston311_2015_sample.csv", buf.getvalue())

    sample_counts = Counter(r[2] for r in sample)
    per_code = {c: (full_counts[c], sample_counts[c]) for c in full_counts}
    for k, v in sorted(stats.items()):
        notes.append(f"boston: {k} = {v}")
    channels = Counter(r[6] for r in sample)
    statuses = Counter(r[5] for r in sample)
    notes.append(
        f"boston sample channels: {dict(sorted(channels.items()))}; "
        f"statuses: {dict(sorted(statuses.items()))}"
    )
    return per_code, used_files, notes


# --------------------------------------------------------------------------- attribution


def write_attribution(shared: Path, out: Path, files_tsv: dict, boston_files: list[str]) -> None:
    def src(f):
        r = files_tsv.get(f)
        if not r:
            return f"`{f}` (not listed in FILES.tsv)"
        s = f"https://github.com/{r['source_repo']} — `{r['source_path']}`"
        s += f" at commit `{r['commit']}`"
        if "TopoJSON" in (r.get("derived") or ""):
            s += " (TopoJSON object `lad` decoded to GeoJSON, coordinates at 5 decimals)"
        return s

    ons_notice = (
        (shared / "uk_boundaries" / "UK-GeoJSON_licence.ons.md").read_text(encoding="utf-8").strip()
    )
    root_notice = (
        (shared / "uk_boundaries" / "UK-GeoJSON_licence.txt").read_text(encoding="utf-8").strip()
    )

    boston_repos = sorted(
        {
            (files_tsv[f]["source_repo"], files_tsv[f]["commit"])
            for f in boston_files
            if f in files_tsv
        }
    )
    boston_lines = "\n".join(
        f"- `{f.split('/', 1)[1]}` — "
        + (f"`{files_tsv[f]['source_path']}`" if f in files_tsv else "not in FILES.tsv")
        for f in boston_files
    )
    lad = "uk_boundaries/gb_lad_2013.geojson"
    ward_lines = "\n".join(
        f"  - {slug}: {src('uk_boundaries/' + c[2])}" for slug, c in COUNCILS.items()
    )

    text = f"""# Demo data: sources and licences

The files in this folder are small **derived extracts** of real public data, made by
`scripts/derive_demo_data.py` (run `.venv/bin/python scripts/derive_demo_data.py` from the
repository root to regenerate them byte for byte). No raw source file is copied whole.

## Council boundaries and wards (`boundaries/`, `wards/`)

- `boundaries/*.geojson`: one feature each for Bristol (E06000023), Leeds (E08000035) and
  Gloucester (E07000081), taken from 2013 local authority districts:
  {src(lad)}.
- `wards/*.geojson`: 2013 electoral wards of the same councils:
{ward_lines}

Changes: properties reduced to codes and names, coordinates rounded to 6 decimal places,
`crs` member dropped (WGS 84 longitude/latitude, RFC 7946), an `attribution` member added,
geometries simplified only when a file would exceed 300 KB. Self-intersections left by the
TopoJSON decoding were repaired (shapely `make_valid`, zero-width spikes dropped). The district
boundaries are generalised, so they do not match ward edges exactly.

**Licence.** "GeoJSON and TopoJSON UK Boundary Data" by Martin Chorley
(https://github.com/martinjc/UK-GeoJSON), licensed under Creative Commons Attribution 4.0
International (https://creativecommons.org/licenses/by/4.0/), over data licensed under the
Open Government Licence v3.0 and the OS OpenData Licence.

Contains OS data © Crown copyright and database right; Contains National Statistics data
© Crown copyright and database right.

The upstream notices, which must be retained by all reuse and any further sub-licences:

> {ons_notice.replace(chr(10), chr(10) + "> ")}

> {root_notice.replace(chr(10), chr(10) + "> ")}

## Boston 311 records (`boston311_2015_sample.csv`)

A stratified random sample (seed {SEED}, at most {SAMPLE_SIZE} rows, each service code keeping its
share of volume with at least {MIN_PER_CODE} rows where available) of City of Boston 311 service
requests opened in 2015, re-coded to Townsquare service codes. Only timestamps, status, channel
and a shortened closure note are kept: no case ids, addresses or coordinates. Closure notes
are whitespace-normalised, cut to {CLOSURE_REASON_MAX} characters, and e-mail addresses,
phone numbers and honorific + surname pairs are replaced by `[email]`, `[phone]`, `[name]`.
Times are Boston local time, as published (no zone).

Source: City of Boston 311 open data, as collected in
{", ".join(f"https://github.com/{repo} at commit `{commit}`" for repo, commit in boston_repos)}
(repository code MIT). Files used:

{boston_lines}

**Licence.** The records are City of Boston open data, published under the Open Data Commons
Public Domain Dedication and License (ODC PDDL 1.0,
https://opendatacommons.org/licenses/pddl/1-0/). Attribution is not required but is given here.
"""
    write_text(out / "ATTRIBUTION.md", text)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--shared",
        type=Path,
        default=None,
        help="shared real data folder (default: ../shared/data relative to the repository)",
    )
    ap.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder (default: {OUT_DIR})")
    args = ap.parse_args(argv)
    shared = (args.shared or (REPO_ROOT / ".." / "shared" / "data")).resolve()
    out = args.out.resolve()
    if not (shared / "FILES.tsv").exists():
        ap.error(f"{shared} does not look like the shared data folder (no FILES.tsv)")

    files_tsv = read_files_tsv(shared)
    notes = derive_boundaries(shared, out)
    per_code, boston_files, bnotes = derive_boston(shared, out, files_tsv)
    notes += bnotes
    write_attribution(shared, out, files_tsv, boston_files)

    print("Boston 311 2015 -> Townsquare service codes (all mapped rows -> sample rows)")
    for code, (full, samp) in sorted(per_code.items(), key=lambda kv: -kv[1][0]):
        print(f"  {code:20s} {full:6d} -> {samp:5d}")
    print(
        f"  {'TOTAL':20s} {sum(f for f, _ in per_code.values()):6d}"
        f" -> {sum(s for _, s in per_code.values()):5d}"
    )
    print("Notes:")
    for n in notes:
        print(f"  - {n}")
    print("Files:")
    total = 0
    for p in sorted(out.rglob("*")):
        if p.is_file():
            size = p.stat().st_size
            total += size
            print(f"  {size:9,d}  {p.relative_to(out)}")
    print(f"  {total:9,d}  total")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
