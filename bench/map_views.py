"""The "Reports near you" map's data at every size of view (issue #12): world, country, city and
street boxes, each at the zoom Leaflet picks for it and at every zoom from 0 to 22 (bbox and
zoom come from the client and need not match), over 1,000,000 cases. Writes its own section of
bench/RESULTS.md.

    python bench/map_views.py                      # SQLite under bench/out/report-1m (made if new)
    python bench/map_views.py --var bench/out/sqlite-1m   # reuse another generated database

Server time in one process, around django.test.Client calls after warm-up requests (see
report_web.py, whose database and helpers this reuses).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_web import MAP_SIZE, ROOT, ensure_database, fit_zoom, timed
from sections import write_section

START, END = "<!-- map-views:start -->", "<!-- map-views:end -->"
TARGET_MS = 150
# (min_lat, min_lng, max_lat, max_lng)
VIEWS = {
    "world": (-85.0, -180.0, 85.0, 180.0),
    "Europe": (35.0, -25.0, 70.0, 40.0),
    "Great Britain": (49.8, -8.0, 59.0, 2.0),
    "Leeds": (53.70, -1.80, 53.95, -1.29),
    "Bristol": (51.40, -2.72, 51.52, -2.51),
    "Bristol city centre": (51.445, -2.61, 51.465, -2.57),
    "a street in Bristol": (51.4535, -2.5905, 51.4555, -2.5855),
}


def _path(bounds: tuple[float, float, float, float], zoom: int, query: str = "") -> str:
    s, w, n, e = bounds
    return f"/map/reports.geojson?bbox={w},{s},{e},{n}&zoom={zoom}{query}"


def measure() -> dict:
    import django

    django.setup()
    from django.test import Client

    from townsquare.cases.models import Case

    client = Client(HTTP_HOST="localhost")
    # Timings on the shared machine mean little without how busy it was (1, 5, 15 minutes).
    results: dict = {
        "cases": Case.objects.count(),
        "load_before": [round(n, 1) for n in os.getloadavg()],
        "views": {},
    }
    for name, bounds in VIEWS.items():
        zoom = fit_zoom(bounds, MAP_SIZE)
        figure = timed(client, "get", _path(bounds, zoom), 20)
        data = json.loads(figure.pop("response").content)
        every_zoom = []
        for any_zoom in range(23):
            one = timed(client, "get", _path(bounds, any_zoom), 5)
            one.pop("response")
            every_zoom.append((one["max_ms"], any_zoom))
        slowest, at_zoom = max(every_zoom)
        filtered = timed(
            client, "get", _path(bounds, zoom, "&council=bristol&service=pothole&status=open"), 10
        )
        filtered.pop("response")
        results["views"][name] = figure | {
            "zoom": zoom,
            "features": len(data["features"]),
            "aggregated": data["aggregated"],
            "reports": sum(f["properties"].get("count", 1) for f in data["features"]),
            "slowest_any_zoom_ms": slowest,
            "slowest_zoom": at_zoom,
            "filtered_median_ms": filtered["median_ms"],
        }
    results["load_after"] = [round(n, 1) for n in os.getloadavg()]
    return results


def _load(results: dict, key: str) -> str:
    return ", ".join(str(n) for n in results.get(key, [])) or "not recorded"


def write(results: dict) -> None:
    lines = [
        START,
        "## The map's data at every size of view (issue #12)",
        "",
        f"`GET /map/reports.geojson`, SQLite, {results['cases']:,} cases in the database; server "
        "time in one process (`django.test.Client`, after three warm-up requests). Each box at "
        "the zoom Leaflet picks for it on a 1024 x 600 map (20 runs), then at every zoom from 0 to "
        "22 (5 runs each; bbox and zoom come from the client and need not match), then filtered "
        "to Bristol's open potholes. Target: every box and zoom under 150 ms. Load average "
        f"(1, 5, 15 min) {_load(results, 'load_before')} at the start and "
        f"{_load(results, 'load_after')} at the end, on 2 cores shared with other work.",
        "",
        "| view | zoom | median | p90 | slowest run at any zoom 0-22 | open potholes, median "
        "| features (reports) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in results["views"].items():
        lines.append(
            f"| {name} | {f['zoom']} | **{f['median_ms']} ms** | {f['p90_ms']} ms "
            f"| {f['slowest_any_zoom_ms']} ms (zoom {f['slowest_zoom']}) "
            f"| {f['filtered_median_ms']} ms | {f['features']:,} ({f['reports']:,}) |"
        )
    lines += [
        "",
        "Before this change the world and Europe boxes took 4 to 22 s: the H3 cells covering the "
        "box were listed before counting (3.5 million resolution-7 cells for Europe). Now a box "
        "is measured first and its cells listed only when there are at most 2,000; wider boxes "
        "read the counted cells (`MapCellCount`) and keep those inside, and a zoom too fine for "
        "the box is coarsened (ADR 115). At most 500 single reports are drawn and at most "
        "50,000 counted one by one per response: a city centre at street zoom is counted per "
        "cell instead (5,000 of 16,275 reports drawn before, 89 to 279 ms quiet, 2.3 s "
        "loaded), and a view whose cells hold more is counted from the stored counts "
        "(ADR 118). Views with a date filter still count from the index "
        "and are not covered by this target (ADR 51). Reproduce with "
        "`python bench/map_views.py`; `make bench` runs it on its own million-case database.",
        "",
        "Raw: `" + json.dumps(results) + "`",
        END,
    ]
    write_section("\n".join(lines), start=START, end=END)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var", help="TOWNSQUARE_VAR_DIR of an already generated database")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure()))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    if args.var:
        env["TOWNSQUARE_VAR_DIR"] = str(Path(args.var).resolve())
        subprocess.run(
            [sys.executable, "-m", "townsquare.cli", "collectstatic", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    else:
        env["TOWNSQUARE_VAR_DIR"] = str(ROOT / "bench" / "out" / "report-1m")
        ensure_database(env)
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--measure"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    results = json.loads(out.strip().splitlines()[-1])
    print(json.dumps(results, indent=1))
    write(results)


if __name__ == "__main__":
    main()
