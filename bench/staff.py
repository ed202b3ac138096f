"""Staff workspace figures: the queue page over 100,000 open cases, and a bulk close of 1,000.

    python bench/staff.py            # SQLite in a fresh temporary folder
    python bench/staff.py --postgres postgres://postgres@127.0.0.1:5432/bench_staff
    python bench/staff.py --write    # also update the staff section of bench/RESULTS.md

Each run builds its own database: the demo councils and templates, then 100,000 open cases in
Bristol written with cases_bulk_create (the import path). Requests go through Django's test
client in this process, so the times are the server's: middleware, session, the staff
decorator, queries and template rendering, without a network.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sections import write_section  # noqa: E402  (bench/ is the script's own directory)


def _prepare_environment(args: argparse.Namespace) -> None:
    var = Path(args.var) if args.var else Path(tempfile.mkdtemp(prefix="bench-staff-"))
    var.mkdir(parents=True, exist_ok=True)
    args.reuse = bool(args.var) and (var / "bench.sqlite3").exists() and not args.postgres
    os.environ["TOWNSQUARE_VAR_DIR"] = str(var)
    if args.postgres:
        os.environ["DATABASE_URL"] = args.postgres
        import psycopg

        name = args.postgres.rsplit("/", 1)[1]
        admin = args.postgres.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--write", action="store_true")
    parser.add_argument(
        "--reuse-postgres",
        action="store_true",
        help="keep the PostgreSQL database of the previous run",
    )
    parser.add_argument(
        "--var",
        default="",
        help="keep the SQLite database here and reuse it "
        "on the next run (for profiling; the bulk close then finds fewer cases)",
    )
    args = parser.parse_args()
    _prepare_environment(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from townsquare.accounts.services import membership_set, user_ensure
    from townsquare.accounts.signin import second_factor_set, totp_code_now
    from townsquare.cases.bulk import cases_bulk_create
    from townsquare.cases.models import Case
    from townsquare.councils.models import Council
    from townsquare.demo.generator import generate_case_specs
    from townsquare.demo.loader import demo_load

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not args.reuse:
        demo_load(cases_per_council=0)
    bristol = Council.objects.get(slug="bristol")
    started = time.perf_counter()
    if not args.reuse:
        cases_bulk_create(
            generate_case_specs(count=args.cases, councils=[bristol], seed=5),
            actor_label="Benchmark",
        )
    # Every case open, as in a council that has fallen badly behind: the worst queue.
    Case.objects.filter(council=bristol).update(
        is_open=True, state="submitted", closed_at=None, assignee=None
    )
    with connection.cursor() as cursor:
        # As autovacuum would soon: fresh statistics, and on PostgreSQL a visibility map so
        # index-only scans need not visit the rows just updated.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"{args.cases} open cases in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - a throwaway benchmark account
    user = user_ensure(
        email="bench@bristol.example",
        full_name="Bench Supervisor",
        password="bench-password-long",  # noqa: S106
    )
    membership_set(user=user, council_id=bristol.id, role="supervisor")
    second_factor_set(user=user, secret=secret)
    client = Client(HTTP_HOST="localhost")
    client.post("/staff/sign-in", {"email": user.email, "password": "bench-password-long"})
    response = client.post("/staff/sign-in/code", {"code": totp_code_now(secret=secret)})
    assert response.status_code == 302, response.content[:500]

    pages = [
        "/staff/cases/",
        "/staff/cases/?page=2",
        "/staff/cases/?sort=due",
        "/staff/cases/?sla=overdue",
        "/staff/cases/?assigned=unassigned&sort=oldest",
        "/staff/cases/?per_page=100",
        "/staff/cases/?page=500",
    ]
    for url in pages:  # warm caches and connections
        assert client.get(url).status_code == 200, url
    times = []
    for i in range(args.requests):
        url = pages[i % len(pages)]
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    # The worst case: the first request after someone changed a case, which recounts.
    from townsquare.accounts.selectors import principal_for_user
    from townsquare.cases.services import case_add_internal_note

    noter = principal_for_user(user)
    some_case = Case.objects.filter(council=bristol).first()
    recount_times = []
    for i in range(15):
        case_add_internal_note(case=some_case, actor=noter, note=f"bench {i}")
        t0 = time.perf_counter()
        assert client.get("/staff/cases/").status_code == 200
        recount_times.append((time.perf_counter() - t0) * 1000)

    queries = {}
    for size in (25, 50, 100, 200):
        client.get(f"/staff/cases/?per_page={size}")  # per-process caches see these rows
        counted = []
        # The fewest of three: once a minute a request also refreshes the session's idle
        # clock (one more query, whatever the page size).
        for _ in range(3):
            with CaptureQueriesContext(connection) as captured:
                client.get(f"/staff/cases/?per_page={size}")
            counted.append(len(captured))
        queries[size] = min(counted)

    oldest = list(
        Case.objects.filter(council=bristol)
        .order_by("created_at", "id")
        .values_list("reference", flat=True)[:1000]
    )
    t0 = time.perf_counter()
    response = client.post(
        "/staff/cases/bulk",
        {
            "scope": "all",
            "query": "status=open",
            "action": "transition",
            "to_state": "fixed",
            "message": "Resurfaced the whole road",
            "back": "/staff/cases/",
        },
    )
    bulk_seconds = time.perf_counter() - t0
    assert response.status_code == 302
    outcome = client.session.get("staff.bulk_result", {})
    if outcome.get("error") or outcome.get("refused"):
        print("bulk:", outcome.get("error"), outcome.get("refused", [])[:3], file=sys.stderr)
    closed = Case.objects.filter(reference__in=oldest, is_open=False).count()
    result = {
        "database": connection.vendor,
        "open_cases": args.cases,
        "queue_requests": len(times),
        "queue_median_ms": round(statistics.median(times), 1),
        "queue_p90_ms": round(statistics.quantiles(times, n=10)[-1], 1),
        "queue_max_ms": round(max(times), 1),
        "queries_by_page_size": queries,
        "recount_median_ms": round(statistics.median(recount_times), 1),
        "bulk_cases": len(oldest),
        "bulk_closed": closed,
        "bulk_seconds": round(bulk_seconds, 2),
    }
    print(json.dumps(result))
    if args.write:
        _write(result)


SECTION_START = "<!-- staff workspace: bench/staff.py -->"
SECTION_END = "<!-- end staff workspace -->"


def _write(result: dict) -> None:
    raw_path = ROOT / "bench" / "staff-results.json"
    stored = json.loads(raw_path.read_text()) if raw_path.exists() else {}
    stored[result["database"]] = result
    raw_path.write_text(json.dumps(stored, indent=1) + "\n")
    rows = []
    for db, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        r = stored.get(db)
        if not r:
            continue
        sizes = r["queries_by_page_size"]
        same = len(set(sizes.values())) == 1
        rows.append(
            f"| {label} | **median {r['queue_median_ms']} ms**, p90 {r['queue_p90_ms']} ms "
            f"({r['queue_requests']} requests); right after a change (recounting): median "
            f"{r.get('recount_median_ms', '?')} ms | "
            f"{', '.join(f'{k}: {v}' for k, v in sizes.items())} "
            f"({'the same' if same else 'DIFFERENT'}) | **{r['bulk_seconds']} s** "
            f"({r['bulk_closed']} of {r['bulk_cases']} closed) |"
        )
    section = "\n".join(
        [
            SECTION_START,
            "## Staff workspace",
            "",
            "A queue page over one council with 100,000 open cases, and a bulk close of 1,000 of "
            "them, through the staff web's real views (Django's test client in one process, so the "
            "time is the server's). Reproduce with `python bench/staff.py --write` (and "
            "`--postgres URL`).",
            "",
            "| database | queue page (target: median under 150 ms) | SQL queries by page size "
            "(target: independent of it) | bulk close of 1,000 (target: under 10 s) |",
            "|---|---|---|---|",
            *rows,
            "",
            "- **Queue page**: a signed-in supervisor's `GET /staff/cases/` cycling through the "
            "default view, page 2, sorted by due time, overdue only, unassigned oldest first, 100 "
            "per page and page 500; each request reads the page and renders the filters and the "
            "table, and asks whether anything in the council changed (one query) to reuse or redo "
            'the counts of the views. "Right after a change" times the first request after an '
            "internal note was added, which recounts every view (one aggregate query over the "
            "100,000 open cases, read from the index on council, open, due time, assignee and "
            "team alone, without reading a row).",
            "- **Queries**: the whole request (session, user, roles, counts, page, names) at 25, "
            "50, 100 and 200 cases per page (the fewest of three requests: once a minute a request "
            "also refreshes the session's idle clock). Counts are kept per process until the "
            "council's latest event id changes, so the first request after any change recounts "
            "(one aggregate query over the council's open cases).",
            "- **Bulk close**: `POST /staff/cases/bulk` acting on every case the filter matches "
            "(the oldest 1,000), moving each to Fixed with a public message through "
            "`cases_transition`: 100 cases a transaction, locked in one query, each checked on "
            "its own (role, workflow, "
            "the revision the officer saw) before any is written.",
            SECTION_END,
        ]
    )
    write_section(section, start=SECTION_START, end=SECTION_END)


if __name__ == "__main__":
    main()
