"""Ward page server time with 1,000 threads and 10,000 cases nearby (issue 17: median under
100 ms).

    python bench/neighbourhoods.py [--threads 1000] [--cases 10000] [--requests 300]

Builds a SQLite database of its own under bench/out/neighbourhoods: migrate, one council with
two wards and its services, one report made through case_create and copied to `--cases`
public reports in the ward (a third of them closed lately), and `--threads` threads with a
visible post each. It then requests the ward's page through Django's full request handling
(middleware, session, view, template) in this process. Server time is the time to build
each response. Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "neighbourhoods"
START = "<!-- neighbourhoods:start -->"
END = "<!-- neighbourhoods:end -->"


def build() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    os.environ["TOWNSQUARE_VAR_DIR"] = str(OUT)
    os.environ.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "townsquare.cli", "migrate", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )


def populate(threads: int, cases: int):
    from django.forms.models import model_to_dict

    from tests import factories
    from townsquare.accounts.principal import Principal
    from townsquare.accounts.services import user_ensure
    from townsquare.cases.models import Case
    from townsquare.cases.services import case_create
    from townsquare.core import clock
    from townsquare.councils.selectors import areas_of_council
    from townsquare.geo.points import Point
    from townsquare.neighbourhoods.models import Post, Thread

    council = factories.make_council("benchshire", prefix="BEN")
    ward = next(a for a in areas_of_council(council_id=council.id) if a.code.endswith("west"))
    first = case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        council=council,
        point=Point(51.5, -1.75),
        values={"depth": "deep"},
    )
    row = model_to_dict(first, exclude=["id", "reference"])
    fields = {f.name: f for f in Case._meta.concrete_fields}
    base = {
        (name if not fields[name].is_relation else f"{name}_id"): value
        for name, value in row.items()
        if name in fields
    }
    now = clock.now()
    Case.objects.bulk_create(
        (
            Case(
                **{
                    **base,
                    "reference": f"BEN-26-{n:06d}",
                    "lat": 51.2 + (n % 500) / 1000,
                    "lng": -1.9 + (n // 500) / 100,
                    "is_open": n % 3 != 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for n in range(2, cases + 1)
        ),
        batch_size=2000,
    )
    author = user_ensure(email="bench@example.org")
    made = Thread.objects.bulk_create(
        Thread(
            council=council,
            area=ward,
            title=f"Thread {n}",
            created_at=now,
            last_post_at=now,
            post_count=1,
        )
        for n in range(threads)
    )
    Post.objects.bulk_create(
        Post(
            thread=t,
            author=author,
            display_name="Bench",
            body="Words",
            fingerprint=str(t.id),
            created_at=now,
        )
        for t in made
    )
    return f"/neighbourhoods/benchshire/{ward.code}/"


def measure(url: str, requests: int) -> dict:
    """Medians of the ward page and, in the same run, of the bare "Track a request" form (a
    baseline: how loaded the machine was while measuring)."""
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()
    for _ in range(10):  # warm the per-process caches
        assert client.get(url).status_code == 200
    times, baseline = [], []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        started = time.perf_counter()
        client.get("/track")
        baseline.append((time.perf_counter() - started) * 1000)
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.9)], 2),
        "max_ms": round(ordered[-1], 2),
        "requests": requests,
        "baseline_track_form_median_ms": round(statistics.median(baseline), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    build()
    sys.path.insert(0, str(ROOT))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    url = populate(args.threads, args.cases)
    result = {
        "threads": args.threads,
        "cases": args.cases,
        "ward_page": measure(url, args.requests),
    }
    print(json.dumps(result, indent=2))
    from bench.sections import write_section

    page = result["ward_page"]
    write_section(
        "\n".join(
            [
                START,
                "## Neighbourhoods (ward page)",
                "",
                "`python bench/neighbourhoods.py`: a ward page",
                "(`/neighbourhoods/<council>/<ward>/`)",
                f"with {args.threads:,} threads and {args.cases:,} public reports in the ward,",
                "built through Django's full request handling in one process, SQLite, on this",
                "machine (shared by other work). Target (issue 17): median under 100 ms.",
                "",
                "| requests | median | p90 | max | /track form median (baseline) | load |",
                "|---|---|---|---|---|---|",
                f"| {page['requests']} | {page['median_ms']} ms | {page['p90_ms']} ms "
                f"| {page['max_ms']} ms | {page['baseline_track_form_median_ms']} ms "
                f"| {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores |",
                END,
            ]
        ),
        start=START,
        end=END,
    )


if __name__ == "__main__":
    main()
