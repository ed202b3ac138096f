"""Place search and place-in-words over the demo councils' real gazetteers (issue 12, item 5).

    python bench/gazetteer.py [--postgres] [--runs 300]

Builds a database of its own under bench/out/gazetteer (SQLite; or a PostgreSQL database
`townsquare_bench_gazetteer` with --postgres): migrate, the three demo councils with their
wards, and their gazetteers (Leeds: 12,452 streets, 298 places, 30,965 postcodes; Bristol and
Gloucester: postcodes and wards), imported as `townsquare demo` does. Then, in one process:
the first search of each council (its index is built then), searches of every kind (exact,
prefix, abbreviation, slip, street and area, postcode, partial postcode) through the selector
and through `GET /places.json` (Django's whole request handling), `place_in_words` at random
points, and the memory the Leeds index holds. Server time only, no network. Prints JSON;
bench/RESULTS.md records it under "Gazetteer".
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/townsquare_bench_gazetteer"
)
QUERIES = [
    "Mill Lane",
    "mill lane otley",
    "Mill Lane, Otley LS21",
    "kirkstall rd",
    "kirkstal road",
    "headingley",
    "headrow",
    "otley rd",
    "LS6 2AB",
    "ls62ab",
    "ls6 2a",
    "LS6",
    "st marks road",
    "briggate",
    "adel",
    "m",
    "BS1 5TR",
    "GL1 2LR",
    "cabot",
    "Bristol",
    "church lane",
    "wharfedale av",
    "zzzz",
]


def _environment(postgres: bool) -> None:
    var = OUT / ("gazetteer-pg" if postgres else "gazetteer")
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    os.environ["TOWNSQUARE_VAR_DIR"] = str(var)
    os.environ.pop("DATABASE_URL", None)
    if postgres:
        import psycopg

        admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
        name = PG_URL.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = PG_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "runs": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.9)], 2),
        "max_ms": round(ordered[-1], 2),
    }


def build() -> dict:
    from django.core.management import call_command

    from townsquare.councils.services import area_upsert, council_upsert, places_import_csv
    from townsquare.demo.generator import DATA_DIR
    from townsquare.demo.loader import DEMO_COUNCILS

    call_command("migrate", verbosity=0)
    imported = {}
    for demo in DEMO_COUNCILS:
        boundary = json.loads((DATA_DIR / "boundaries" / f"{demo.slug}.geojson").read_text())
        council = council_upsert(
            slug=demo.slug,
            name=demo.name,
            jurisdiction_id=demo.jurisdiction_id,
            reference_prefix=demo.prefix,
            boundary=boundary,
        )
        wards = json.loads((DATA_DIR / "wards" / f"{demo.slug}.geojson").read_text())
        for feature in wards["features"]:
            area_upsert(
                council=council,
                code=feature["properties"]["code"],
                name=feature["properties"]["name"],
                boundary=feature["geometry"],
            )
        with gzip.open(
            DATA_DIR / "gazetteer" / f"{demo.slug}.csv.gz", "rt", encoding="utf-8"
        ) as handle:
            text = handle.read()
        started = time.perf_counter()
        count = places_import_csv(council=council, text=text, source=f"{demo.slug}.csv.gz")
        imported[demo.slug] = {"rows": count, "import_s": round(time.perf_counter() - started, 2)}
    settle()
    return imported


def settle() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure(runs: int) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from townsquare.councils.gazetteer import NameIndex
    from townsquare.councils.models import Place
    from townsquare.councils.selectors import council_get, place_in_words, places_matching

    settings.ALLOWED_HOSTS = ["*"]
    councils = {slug: council_get(slug=slug) for slug in ("leeds", "bristol", "gloucester")}
    first = {}
    for slug, council in councils.items():
        started = time.perf_counter()
        places_matching(query="warm", council_id=council.id)
        first[slug] = round((time.perf_counter() - started) * 1000, 1)

    rng = random.Random(12)
    selector, per_query = [], {}
    for _ in range(runs):
        query = rng.choice(QUERIES)
        started = time.perf_counter()
        places_matching(query=query, limit=10)
        elapsed = (time.perf_counter() - started) * 1000
        selector.append(elapsed)
        per_query.setdefault(query, []).append(elapsed)
    client = Client()
    request = []
    for _ in range(runs):
        query = rng.choice(QUERIES)
        started = time.perf_counter()
        response = client.get("/places.json", {"q": query, "council": "leeds"})
        request.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200

    words = []
    for slug in ("leeds", "bristol"):
        council = councils[slug]
        for _ in range(runs // 2):
            lat = rng.uniform(council.min_lat, council.max_lat)
            lng = rng.uniform(council.min_lng, council.max_lng)
            started = time.perf_counter()
            place_in_words(council_id=council.id, lat=lat, lng=lng)
            words.append((time.perf_counter() - started) * 1000)

    rows = list(
        Place.objects.filter(council=councils["leeds"])
        .order_by("id")
        .values_list("id", "kind", "name", "qualifier")
    )
    tracemalloc.start()
    index = NameIndex.build(rows)
    held, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "database": connection.vendor,
        "first_search_ms (index built)": first,
        "search (selector, all councils)": summary(selector),
        "slowest query (median ms)": max(
            ((q, round(statistics.median(t), 2)) for q, t in per_query.items()),
            key=lambda item: item[1],
        ),
        "GET /places.json (Leeds)": summary(request),
        "place_in_words": summary(words),
        "leeds_index_mb": round(held / 1e6, 1),
        "leeds_index_entries": len(index),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    _environment(args.postgres)
    import django

    django.setup()
    imported = build()
    print(json.dumps({"imported": imported, **measure(args.runs)}, indent=2))


if __name__ == "__main__":
    main()
