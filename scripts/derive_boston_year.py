"""Derive the compact City of Boston 2015 extract the demo ships (issue #7: "the demo loads
Boston 2015 into one demo council"), so `make run` shows a real year without ../shared/data.

    .venv/bin/python scripts/derive_boston_year.py [SHARED_DATA_DIR]

Writes, byte for byte reproducibly:
- townsquare/demo/data/boston311_2015.csv.gz: every 2015 row whose TYPE the shipped Boston
  mapping imports (townsquare/opendata/mappings/boston.yaml), with only the columns it reads,
  in the source's order (file name, then row). Records ODC PDDL 1.0 (Boston open data).
- townsquare/demo/data/boston_neighbourhoods.geojson: the neighbourhood polygons, rounded
  only to 6 decimals (as the source). MIT (click_that_hood); see ATTRIBUTION.md.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

import yaml
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "townsquare" / "demo" / "data"


def _columns(spec: dict) -> list[str]:
    columns = [
        spec["id"],
        spec["opened_at"],
        spec["closed_at"],
        spec["due_at"],
        spec["status"]["column"],
        spec["latitude"],
        spec["longitude"],
        spec["address"],
        spec["channel"]["column"],
        spec["service"]["column"],
    ]
    return list(dict.fromkeys(columns))


def derive_cases(shared: Path) -> int:
    spec = yaml.safe_load((ROOT / "townsquare/opendata/mappings/boston.yaml").read_text())
    columns = _columns(spec)
    wanted = set(spec["service"]["map"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    rows = 0
    for path in sorted((shared / "boston311_2015").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get(spec["service"]["column"]) in wanted:
                    writer.writerow([row.get(c, "") for c in columns])
                    rows += 1
    with (
        (OUT / "boston311_2015.csv.gz").open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(out.getvalue().encode("utf-8"))
    return rows


def _rounded(value):
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def derive_neighbourhoods(shared: Path) -> int:
    source = json.loads((shared / "us_boundaries" / "boston.geojson").read_text())
    features = []
    for feature in source["features"]:
        geometry = shape(feature["geometry"]).buffer(0)
        shaped = mapping(geometry)
        properties = {k: feature["properties"][k] for k in ("cartodb_id", "name")}
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {
                    "type": shaped["type"],
                    "coordinates": _rounded(shaped["coordinates"]),
                },
            }
        )
    text = json.dumps(
        {"type": "FeatureCollection", "features": features},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    (OUT / "boston_neighbourhoods.geojson").write_text(text + "\n", encoding="utf-8")
    return len(features)


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    print(f"{derive_cases(shared):,} cases, {derive_neighbourhoods(shared)} neighbourhoods")


if __name__ == "__main__":
    main()
