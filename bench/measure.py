"""Single measurements, run by bench/run.py in a process of their own with its own database.

    python bench/measure.py case-create --count 2000
    python bench/measure.py radius --queries 300 --radius 500

Each prints one JSON line of figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import shapely  # noqa: E402
from django.db import connections  # noqa: E402
from shapely.geometry import shape  # noqa: E402

from townsquare.accounts.principal import Principal  # noqa: E402
from townsquare.cases.selectors import case_ids_within_radius  # noqa: E402
from townsquare.cases.services import Reporter, case_create  # noqa: E402
from townsquare.councils.selectors import council_list  # noqa: E402
from townsquare.geo.points import Point  # noqa: E402


def random_points(count: int, seed: int) -> list[Point]:
    """Points inside the councils, each council weighted by its population."""
    rng = random.Random(seed)
    councils = council_list()
    weights = [c.settings.get("population", 1) for c in councils]
    shapes = {c.id: shape(c.boundary) for c in councils}
    points = []
    while len(points) < count:
        council = rng.choices(councils, weights)[0]
        lat = rng.uniform(council.min_lat, council.max_lat)
        lng = rng.uniform(council.min_lng, council.max_lng)
        if shapes[council.id].contains(shapely.Point(lng, lat)):
            points.append(Point(round(lat, 6), round(lng, 6)))
    return points


def _create_cases(points: list[Point], start_at: float | None = None) -> None:
    actor = Principal.anonymous()
    reporter = Reporter(email="bench@example.org", name="Bench")
    for point in points[:20]:  # warm the per-process caches (boundaries, catalogue)
        case_create(
            service_code="graffiti",
            actor=actor,
            point=point,
            reporter=reporter,
            values={"surface": "bus_shelter", "offensive": "no"},
            description="warm-up",
        )
    if start_at is not None:
        time.sleep(max(0.0, start_at - time.time()))
    for point in points[20:]:
        case_create(
            service_code="graffiti",
            actor=actor,
            point=point,
            reporter=reporter,
            values={"surface": "bus_shelter", "offensive": "no"},
            description="Tags on the wall by the bus stop",
        )


def case_create_rate(count: int, processes: int) -> dict:
    """Cases per second through case_create, from `processes` processes at once."""
    points = random_points((count // processes + 20) * processes, seed=7)
    if processes == 1:
        _create_cases(points[:20] + points[:20])  # warm-up only
        started = time.perf_counter()
        _create_cases(points[:20] + points[20 : count + 20], start_at=None)
        elapsed = time.perf_counter() - started
        return {
            "processes": 1,
            "cases": count,
            "seconds": round(elapsed, 3),
            "cases_per_s": round(count / elapsed),
        }
    connections.close_all()  # each child opens its own
    share = len(points) // processes
    start_at = time.time() + 3
    children = [
        multiprocessing.Process(
            target=_create_cases, args=(points[i * share : (i + 1) * share], start_at)
        )
        for i in range(processes)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join()
    elapsed = time.time() - start_at
    done = (share - 20) * processes
    return {
        "processes": processes,
        "cases": done,
        "seconds": round(elapsed, 3),
        "cases_per_s": round(done / elapsed),
    }


def radius(queries: int, radius_m: float) -> dict:
    points = random_points(queries, seed=11)
    for point in points[:10]:
        case_ids_within_radius(center=point, radius_m=radius_m)
    timings, hits = [], []
    for point in points:
        started = time.perf_counter()
        found = case_ids_within_radius(center=point, radius_m=radius_m)
        timings.append(time.perf_counter() - started)
        hits.append(len(found))
    timings.sort()
    return {
        "queries": queries,
        "radius_m": radius_m,
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "p90_ms": round(timings[int(len(timings) * 0.9)] * 1000, 2),
        "max_ms": round(timings[-1] * 1000, 2),
        "median_hits": statistics.median(hits),
        "max_hits": max(hits),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    create = sub.add_parser("case-create")
    create.add_argument("--count", type=int, default=2000)
    create.add_argument("--processes", type=int, default=1)
    ids = sub.add_parser("public-ids", help="Write public case references, for load tests")
    ids.add_argument("--out", required=True)
    ids.add_argument("--count", type=int, default=5000)
    near = sub.add_parser("radius")
    near.add_argument("--queries", type=int, default=300)
    near.add_argument("--radius", type=float, default=500)
    args = parser.parse_args()
    if args.what == "public-ids":
        # Spread over the whole table, as real lookups are, not just the newest cases.
        from townsquare.cases.models import Case

        top = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
        rng = random.Random(3)
        wanted = {rng.randint(1, top) for _ in range(args.count)}
        references = list(
            Case.objects.filter(id__in=wanted, is_public=True, is_test=False).values_list(
                "reference", flat=True
            )
        )
        Path(args.out).write_text("\n".join(references))
        result = {"ids": len(references)}
    elif args.what == "case-create":
        result = case_create_rate(args.count, args.processes)
    else:
        result = radius(args.queries, args.radius)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
