"""Run the benchmarks and write bench/RESULTS.md.

    make bench                 # everything (about five minutes on 2 cores)
    python bench/run.py --quick

Each benchmark runs in fresh processes against a database of its own under bench/out/ (SQLite)
or a database `townsquare_bench` on the PostgreSQL named by BENCH_POSTGRES_URL
(default postgres://postgres@127.0.0.1:5432/townsquare_bench). Timings never go in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
TOWNSQUARE = [sys.executable, "-m", "townsquare.cli"]
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/townsquare_bench")


def sh(cmd: list[str], env: dict[str, str], *, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603
        cmd,
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def fresh_sqlite(name: str) -> dict[str, str]:
    var = OUT / name
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    env = {**os.environ, "TOWNSQUARE_VAR_DIR": str(var), "DATABASE_URL": ""}
    env.pop("DATABASE_URL")
    return env


def fresh_postgres(name: str | None = None) -> dict[str, str] | None:
    import psycopg

    admin_url = PG_URL.rsplit("/", 1)[0] + "/postgres"
    name = name or PG_URL.rsplit("/", 1)[1]
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable ({exc}); skipping its figures")
        return None
    var = OUT / name
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    return {
        **os.environ,
        "TOWNSQUARE_VAR_DIR": str(var),
        "DATABASE_URL": PG_URL.rsplit("/", 1)[0] + "/" + name,
    }


def prepare(env: dict[str, str]) -> None:
    sh([*TOWNSQUARE, "migrate", "-v", "0"], env)
    sh([*TOWNSQUARE, "demo", "--cases-per-council", "0"], env, capture=True)
    settle(env)


def settle(env: dict[str, str]) -> None:
    """Measure after a new PostgreSQL database has been analysed and checkpointed."""
    if env.get("DATABASE_URL", "").startswith("postgres"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            conn.execute("CHECKPOINT")
        time.sleep(5)


PORT = 8311


def open311_figures(env: dict[str, str], *, seconds: int) -> dict:
    """The three Open311 figures against `townsquare serve` (two web processes) on loopback."""
    url = f"http://127.0.0.1:{PORT}"
    key_out = sh(
        [*TOWNSQUARE, "apikeys", "create", "--council", "bristol", "--name", "Load test"],
        env,
        capture=True,
    )
    key = next(w for w in key_out.split() if w.startswith("ts_"))
    ids_file = Path(env["TOWNSQUARE_VAR_DIR"]) / "ids.txt"
    sh([sys.executable, "bench/measure.py", "public-ids", "--out", str(ids_file)], env)
    sh([*TOWNSQUARE, "collectstatic", "--no-input", "-v", "0"], env)
    server = subprocess.Popen(  # noqa: S603
        [
            *TOWNSQUARE,
            "serve",
            "--no-worker",
            "--port",
            str(PORT),
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.2)
        load = [sys.executable, "bench/open311_load.py"]
        print("Open311: GET requests.json")
        listing = json.loads(
            sh([*load, "list", "--url", url, "--requests", "60"], env, capture=True)
        )
        print("Open311: GET requests/{id}.json")
        one = json.loads(
            sh(
                [
                    *load,
                    "one",
                    "--url",
                    url,
                    "--seconds",
                    "15",
                    "--clients",
                    "4",
                    "--ids",
                    str(ids_file),
                ],
                env,
                capture=True,
            )
        )
        print(f"Open311: POST requests.json for {seconds} s")
        create = json.loads(
            sh(
                [
                    *load,
                    "create",
                    "--url",
                    url,
                    "--seconds",
                    str(seconds),
                    "--clients",
                    "4",
                    "--api-key",
                    key,
                ],
                env,
                capture=True,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"list": listing, "one": one, "create": create}


def measure(env: dict[str, str], *args: str) -> dict:
    out = sh([sys.executable, "bench/measure.py", *args], env, capture=True)
    return json.loads(out.strip().splitlines()[-1])


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="Small sizes, to check it runs")
    parser.add_argument(
        "--open311-only",
        action="store_true",
        help="Measure Open311 again on the databases of the last full run",
    )
    args = parser.parse_args()
    if args.open311_only:
        results = json.loads((OUT / "results.json").read_text())
        sqlite_env = {**os.environ, "TOWNSQUARE_VAR_DIR": str(OUT / "sqlite-1m")}
        sqlite_env.pop("DATABASE_URL", None)
        sh([*TOWNSQUARE, "migrate", "-v", "0"], sqlite_env)
        results["open311_sqlite"] = open311_figures(sqlite_env, seconds=60)
        pg_env = {
            **os.environ,
            "TOWNSQUARE_VAR_DIR": str(OUT / "townsquare_bench1m"),
            "DATABASE_URL": PG_URL.rsplit("/", 1)[0] + "/townsquare_bench1m",
        }
        sh([*TOWNSQUARE, "migrate", "-v", "0"], pg_env)
        settle(pg_env)
        results["open311_postgres"] = open311_figures(pg_env, seconds=60)
        write_results(results, quick=False)
        return
    big = 50_000 if args.quick else 1_000_000
    creates = 300 if args.quick else 2000
    results: dict[str, dict] = {}

    for label, make_env in (
        ("sqlite", lambda: fresh_sqlite("sqlite-create")),
        ("postgres", fresh_postgres),
    ):
        env = make_env()
        if env is None:
            continue
        prepare(env)
        for processes in (1, 2):
            print(f"case_create on {label}, {processes} process(es)")
            runs = [
                measure(env, "case-create", "--count", str(creates), "--processes", str(processes))
                for _ in range(3)
            ]
            runs.sort(key=lambda r: r["cases_per_s"])
            results[f"create_{label}_{processes}"] = runs[1] | {
                "runs": [r["cases_per_s"] for r in runs]
            }

    print(f"generate --cases {big:,} on SQLite")
    env = fresh_sqlite("sqlite-1m")
    prepare(env)
    started = time.perf_counter()
    sh([*TOWNSQUARE, "generate", "--cases", str(big)], env)
    results["generate"] = {"cases": big, "seconds": round(time.perf_counter() - started, 1)}

    print(f"cases within 500 m among {big:,}")
    results["radius"] = measure(env, "radius", "--queries", "300", "--radius", "500")
    results["open311_sqlite"] = open311_figures(env, seconds=15 if args.quick else 60)
    print(f"map data at every size of view among {big:,}")
    sh([sys.executable, "bench/map_views.py", "--var", env["TOWNSQUARE_VAR_DIR"]], env)

    pg = fresh_postgres("townsquare_bench1m")
    if pg:
        prepare(pg)
        print(f"generate --cases {big:,} on PostgreSQL")
        started = time.perf_counter()
        sh([*TOWNSQUARE, "generate", "--cases", str(big)], pg)
        results["generate_postgres"] = {
            "cases": big,
            "seconds": round(time.perf_counter() - started, 1),
        }
        settle(pg)
        results["open311_postgres"] = open311_figures(pg, seconds=15 if args.quick else 60)

    (OUT / "results.json").write_text(json.dumps(results))
    write_results(results, quick=args.quick)


def _create_row(r: dict[str, dict], label: str, name: str) -> str:
    cells = []
    for processes in (1, 2):
        m = r.get(f"create_{label}_{processes}")
        cells.append(
            f"**{m['cases_per_s']} cases/s** (runs: {', '.join(map(str, m['runs']))})"
            if m
            else "not measured"
        )
    return (
        f"| `case_create` through the service layer, {name} | at least 300 cases/s | "
        f"{cells[0]} | {cells[1]} |"
    )


def _open311_table(r: dict[str, dict]) -> str:
    rows = ["| figure | target | SQLite | PostgreSQL |", "|---|---|---|---|"]

    def cell(label: str, pick) -> str:
        m = r.get(f"open311_{label}")
        return pick(m) if m else "not measured"

    rows.append(
        "| `GET requests.json`, default parameters (1,000 results) | median under 80 ms | "
        + " | ".join(
            cell(
                db,
                lambda m: f"**median {m['list']['median_ms']} ms**, p90 {m['list']['p90_ms']} ms",
            )
            for db in ("sqlite", "postgres")
        )
        + " |"
    )
    rows.append(
        "| `GET requests/{id}.json` | at least 1,000 requests/s, 0 errors | "
        + " | ".join(
            cell(
                db,
                lambda m: (
                    f"**{m['one']['per_s']} requests/s**, "
                    f"{m['one']['errors']} errors, median "
                    f"{m['one']['median_ms']} ms"
                ),
            )
            for db in ("sqlite", "postgres")
        )
        + " |"
    )
    rows.append(
        "| `POST requests.json`, sustained | at least 200 creates/s for 60 s, 0 errors | "
        + " | ".join(
            cell(
                db,
                lambda m: (
                    f"**{m['create']['per_s']} creates/s** over "
                    f"{m['create']['seconds']:.0f} s, "
                    f"{m['create']['errors']} errors, p99 "
                    f"{m['create']['p99_ms']} ms"
                ),
            )
            for db in ("sqlite", "postgres")
        )
        + " |"
    )
    return "\n".join(rows)


def write_results(r: dict[str, dict], *, quick: bool) -> None:
    today = dt.date.today().isoformat()
    g, q = r["generate"], r["radius"]
    quick_note = (
        "**Quick run: sizes reduced; these are not the figures the issues ask for.**"
        if quick
        else ""
    )
    text = f"""# Benchmark results

Measured {today} on {machine()}.
{quick_note}

Reproduce with `make bench` (runs `python bench/run.py`; each figure in fresh processes with a
database of its own).

## Creating cases

| figure | target | one process | two processes at once |
|---|---|---|---|
{_create_row(r, "sqlite", "SQLite")}
{_create_row(r, "postgres", "PostgreSQL")}

Each cell is the median of three runs of {r["create_sqlite_1"]["cases"]:,} cases (the runs
listed). Two processes is how `make run` serves (two web workers).

## Scale

| figure | target | measured |
|---|---|---|
| `townsquare generate --cases {g["cases"]:,}`, SQLite | under 2 minutes | **{g["seconds"]} s** |
| cases within 500 m of a point among {g["cases"]:,} | median under 20 ms | \
**median {q["median_ms"]} ms**, p90 {q["p90_ms"]} ms, max {q["max_ms"]} ms |

The radius figure is over {q["queries"]} points; a circle held {q["median_hits"]:,} cases at the
median and {q["max_hits"]:,} at most.

## Open311 against a live server

`townsquare serve` with two web processes on loopback, {g["cases"]:,} cases in the database;
load from four client processes on the same two cores (keep-alive connections).

{_open311_table(r)}

## How each figure is measured

- **case_create**: `bench/measure.py case-create` calls `cases.services.case_create` one case at a
  time in each process (routing by boundary, field validation, H3 cells, reference number, the
  case row and its `case.created` event, each in its own committed transaction), at random points
  inside the three demo councils, after 20 warm-up cases. The figure is cases divided by
  wall-clock seconds, all processes together.
- **generate**: wall-clock time of the whole `townsquare generate --cases N` process on a fresh
  SQLite database holding the demo councils and templates. It writes every case with its
  `case.created` event, and a `case.transitioned` event for each case that has moved on.
- **Open311**: `bench/open311_load.py`. `list`: `GET requests.json` with no parameters (the
  last 90 days, newest 1,000), one request at a time after five warm-up requests; the median is
  client-side wall time per full response. `one`: `GET requests/{{id}}.json` for ids spread over
  the whole table, 15 s. `create`: `POST requests.json` (form-encoded, api key, two attributes,
  reporter details) at random points in central Bristol, for the stated seconds; an error is any
  response but 200.
- **radius**: `bench/measure.py radius` times `cases.selectors.case_ids_within_radius` (exact
  distance, nearest first) at random points inside the councils, weighted by population, on the
  database the generate step filled. Bristol is the densest (about 3,000 cases per km²).

Raw figures: `{json.dumps(r)}`
"""
    # Other benchmarks write their own sections, between <!-- name: script --> and
    # <!-- end name --> lines, or <!-- name:start --> and <!-- name:end -->; keep them.
    path = ROOT / "bench" / "RESULTS.md"
    if path.exists():
        existing = path.read_text()
        kept = re.findall(
            r"(?ms)^<!-- [^\n]*: bench/[^\n]* -->\n.*?^<!-- end [^\n]* -->$", existing
        )
        kept += [
            m.group(0)
            for m in re.finditer(r"(?ms)^<!-- ([\w-]+):start -->\n.*?^<!-- \1:end -->$", existing)
        ]
        if kept:
            text = text.rstrip() + "\n\n" + "\n\n".join(kept) + "\n"
    path.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
