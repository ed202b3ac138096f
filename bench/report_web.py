"""The report journey's figures (issue #4): map data for a city-wide view and the report form's
server time, over a database of 1,000,000 cases. Writes its own section of bench/RESULTS.md.

    python bench/report_web.py                  # SQLite under bench/out/report-1m (made if new)
    python bench/report_web.py --postgres       # the same on BENCH_POSTGRES_URL's server

Server time is the time Django takes to answer a request (view, queries, template, JSON), in
one process, measured around django.test.Client calls after warm-up requests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sections import RESULTS, write_section

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- report-web:start -->", "<!-- report-web:end -->"
CASES = 1_000_000
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/report_bench")
MAP_SIZE = (1024, 600)  # pixels of a city-wide map on a laptop screen


def fit_zoom(bounds: tuple[float, float, float, float], size: tuple[int, int]) -> int:
    """The zoom Leaflet's fitBounds picks for (min_lat, min_lng, max_lat, max_lng)."""

    def y(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)

    min_lat, min_lng, max_lat, max_lng = bounds
    for zoom in range(18, 0, -1):
        scale = 256 * 2**zoom
        width = (max_lng - min_lng) / 360 * scale
        height = (y(min_lat) - y(max_lat)) * scale
        if width <= size[0] and height <= size[1]:
            return zoom
    return 1


def ensure_database(env: dict[str, str]) -> None:
    tool = [sys.executable, "-m", "townsquare.cli"]
    var = Path(env["TOWNSQUARE_VAR_DIR"])
    marker = var / f"generated-{CASES}"
    if marker.exists():
        # Pages need the static files manifest, which may be older than the code.
        subprocess.run(  # noqa: S603
            [*tool, "collectstatic", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return
    var.mkdir(parents=True, exist_ok=True)
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    for args in (
        ["migrate", "-v", "0"],
        ["demo", "--cases-per-council", "0"],
        ["generate", "--cases", str(CASES)],
        ["collectstatic", "--no-input", "-v", "0"],
    ):
        subprocess.run(  # noqa: S603
            [*tool, *args],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    marker.touch()


def timed(client, method: str, path: str, runs: int, data=None, expect=(200,)) -> dict:
    for _ in range(3):
        getattr(client, method)(path, data) if data else getattr(client, method)(path)
    times, last = [], None
    for _ in range(runs):
        started = time.perf_counter()
        last = getattr(client, method)(path, data) if data else getattr(client, method)(path)
        times.append((time.perf_counter() - started) * 1000)
        assert last.status_code in expect, (path, last.status_code, last.content[:300])
    times.sort()
    return {
        "runs": runs,
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(len(times) * 0.9) - 1], 1),
        "max_ms": round(times[-1], 1),
        "response": last,
    }


def measure() -> dict:
    import django

    django.setup()
    from django.test import Client

    from townsquare.cases.models import Case
    from townsquare.councils.selectors import council_list

    client = Client(HTTP_HOST="localhost")
    results: dict = {"cases": Case.objects.count(), "map": {}, "form": {}}
    councils = council_list()
    for council in councils:
        bounds = (council.min_lat, council.min_lng, council.max_lat, council.max_lng)
        zoom = fit_zoom(bounds, MAP_SIZE)
        bbox = f"{council.min_lng},{council.min_lat},{council.max_lng},{council.max_lat}"
        for label, query in (
            ("all", ""),
            ("open pothole", f"&council={council.slug}&service=pothole&status=open"),
        ):
            figure = timed(
                client, "get", f"/map/reports.geojson?bbox={bbox}&zoom={zoom}{query}", 30
            )
            data = json.loads(figure.pop("response").content)
            figure.update(
                zoom=zoom,
                features=len(data["features"]),
                aggregated=data["aggregated"],
                reports=sum(f["properties"].get("count", 1) for f in data["features"]),
            )
            results["map"][f"{council.slug} ({label})"] = figure
    whole = (
        min(c.min_lat for c in councils),
        min(c.min_lng for c in councils),
        max(c.max_lat for c in councils),
        max(c.max_lng for c in councils),
    )
    zoom = fit_zoom(whole, MAP_SIZE)
    figure = timed(
        client,
        "get",
        f"/map/reports.geojson?bbox={whole[1]},{whole[0]},{whole[3]},{whole[2]}&zoom={zoom}",
        30,
    )
    data = json.loads(figure.pop("response").content)
    figure.update(
        zoom=zoom,
        features=len(data["features"]),
        aggregated=data["aggregated"],
        reports=sum(f["properties"].get("count", 1) for f in data["features"]),
    )
    results["map"]["all councils"] = figure

    form = "/report/bristol/pothole/"
    results["form"]["GET the form"] = timed(client, "get", form, 100)
    answers = {
        "lat": "51.4545",
        "lng": "-2.5879",
        "place": "Outside the shop",
        "field-size": "30_to_60cm",
        "field-depth": "over_10cm",
        "phone": "01632 960 001",
    }
    results["form"]["POST, nearby reports shown"] = timed(client, "post", form, 50, answers)
    created = timed(client, "post", form, 50, {**answers, "nearby_checked": "yes"}, expect=(303,))
    results["form"]["POST, report created"] = created
    results["form"]["GET the browse page (Bristol)"] = timed(
        client, "get", "/reports/?council=bristol", 50
    )
    for group in results["form"].values():
        group.pop("response", None)
    return results


def write(results: dict[str, dict]) -> None:
    lines = [
        START,
        "## Report a problem and browse (issue #4, report helper)",
        "",
        "Server time in one process (`django.test.Client`, after three warm-up requests), "
        f"{results['sqlite']['cases']:,} cases in the database. Map views are the zoom "
        "Leaflet picks to fit each council on a 1024 x 600 map.",
        "",
    ]
    for name, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        r = results.get(name)
        if not r:
            continue
        lines += [
            f"### {label}",
            "",
            "| figure | target | median | p90 | features (reports) |",
            "|---|---|---|---|---|",
        ]
        for view, f in r["map"].items():
            lines.append(
                f"| map data, {view}, zoom {f['zoom']} | ≤ 5,000 features, < 150 ms "
                f"| **{f['median_ms']} ms** | {f['p90_ms']} ms | {f['features']:,} "
                f"({f['reports']:,}) |"
            )
        for view, f in r["form"].items():
            target = "median < 100 ms" if view.startswith(("GET the form", "POST")) else "—"
            lines.append(
                f"| report form, {view} | {target} | **{f['median_ms']} ms** | {f['p90_ms']} ms | |"
            )
        lines.append("")
    lines += [
        "Reproduce with `python bench/report_web.py [--postgres]` (makes its own 1,000,000-"
        "case database under bench/out/ the first time). When more than 300 reports are in "
        "view the map returns counts per H3 cell, read from `MapCellCount` (kept by "
        "triggers); with a date filter they are counted from the index `case_h3_map_idx` "
        "(ADR 51). Machine: 2 shared cores, load average around 8-10 from other work "
        "during these runs.",
        "",
        "Raw: `" + json.dumps(results) + "`",
        END,
    ]
    write_section("\n".join(lines), start=START, end=END)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--measure", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure()))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    env["TOWNSQUARE_VAR_DIR"] = str(ROOT / "bench" / "out" / "report-1m")
    runs = [("sqlite", env)]
    if args.postgres:
        runs.append(
            (
                "postgres",
                {
                    **env,
                    "DATABASE_URL": PG_URL,
                    "TOWNSQUARE_VAR_DIR": str(ROOT / "bench" / "out" / "report-1m-pg"),
                },
            )
        )
    existing = {}
    if START in (RESULTS.read_text() if RESULTS.exists() else ""):
        raw = RESULTS.read_text().split(START, 1)[1].split("Raw: `", 1)[1].split("`", 1)[0]
        existing = json.loads(raw)
    for name, run_env in runs:
        ensure_database(run_env)
        out = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--measure", name],
            cwd=ROOT,
            env=run_env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        existing[name] = json.loads(out.strip().splitlines()[-1])
        print(name, json.dumps(existing[name], indent=1))
    write(existing)


if __name__ == "__main__":
    main()
