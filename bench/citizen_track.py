"""Track page server time over 1,000,000 cases (issue #4: median under 100 ms).

    python bench/citizen_track.py [--cases 1000000] [--requests 1000] [--postgres]

Builds a database of its own under bench/out/citizen-track (SQLite; or a PostgreSQL database
`townsquare_bench_citizen` with --postgres): migrate, the demo councils, `townsquare generate`,
then public updates on a sample of cases so timelines have several entries. It then requests
`/track/<reference>` for random public references through Django's full request handling
(middleware, session, view, template) in one process, and the timeline fragment the live
updates script fetches. Server time is the time to build each response; network time is not
included. Prints a JSON summary; bench/RESULTS.md records it under "Citizen web".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/townsquare_bench_citizen"
)


def _environment(postgres: bool) -> dict[str, str]:
    var = OUT / ("citizen-track-pg" if postgres else "citizen-track")
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    env = {**os.environ, "TOWNSQUARE_VAR_DIR": str(var), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    if postgres:
        import psycopg

        admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
        name = PG_URL.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = PG_URL
    return env


def build(cases: int, postgres: bool) -> dict[str, str]:
    env = _environment(postgres)
    townsquare = [sys.executable, "-m", "townsquare.cli"]
    for command in (
        ["migrate", "-v", "0"],
        ["demo", "--cases-per-council", "0"],
        ["generate", "--cases", str(cases)],
    ):
        subprocess.run(  # noqa: S603
            [*townsquare, *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return env


def measure(requests: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.test import Client

    from townsquare.accounts.principal import Principal
    from townsquare.cases.models import Case
    from townsquare.cases.services import case_post_public_update

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    total = Case.objects.count()
    last = Case.objects.order_by("-id").values_list("id", flat=True).first()
    rng = random.Random(4)
    ids = [rng.randint(1, last) for _ in range(requests * 2)]
    references = list(
        Case.objects.filter(id__in=ids, is_public=True).values_list("reference", flat=True)
    )[:requests]
    staff = Principal.system("Highways team")
    for reference in references[: len(references) // 2]:
        case = Case.objects.get(reference=reference)
        for n in range(3):
            case_post_public_update(case=case, actor=staff, message=f"Update {n + 1}")
    client = Client()
    for reference in references[:20]:  # warm the per-process caches
        client.get(f"/track/{reference}")
    rng.shuffle(references)
    page, fragment = [], []
    for reference in references:
        started = time.perf_counter()
        response = client.get(f"/track/{reference}")
        page.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (reference, response.status_code)
        started = time.perf_counter()
        response = client.get(f"/track/{reference}?fragment=timeline")
        fragment.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200

    def summary(times: list[float]) -> dict:
        ordered = sorted(times)
        return {
            "median_ms": round(statistics.median(ordered), 2),
            "p90_ms": round(ordered[int(len(ordered) * 0.9)], 2),
            "max_ms": round(ordered[-1], 2),
        }

    from django.db import connection

    return {
        "cases": total,
        "requests": len(references),
        "database": connection.vendor,
        "track_page": summary(page),
        "timeline_fragment": summary(fragment),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="measure the last database again")
    args = parser.parse_args()
    if args.reuse:
        var = OUT / ("citizen-track-pg" if args.postgres else "citizen-track")
        os.environ["TOWNSQUARE_VAR_DIR"] = str(var)
        if args.postgres:
            os.environ["DATABASE_URL"] = PG_URL
    else:
        started = time.perf_counter()
        env = build(args.cases, args.postgres)
        os.environ.update({k: env[k] for k in ("TOWNSQUARE_VAR_DIR",)})
        if args.postgres:
            os.environ["DATABASE_URL"] = env["DATABASE_URL"]
        print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(json.dumps(measure(args.requests), indent=2))


if __name__ == "__main__":
    main()
