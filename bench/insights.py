"""Insights benchmarks (issue #7): import, dashboards, open data export, live streams.

    python bench/insights.py import            # Boston 2015 into a fresh SQLite database
    python bench/insights.py dashboard         # cold and warm, on the database in the env
    python bench/insights.py export            # CSV rows/s streamed, same database
    python bench/insights.py live --streams 1000 --url http://127.0.0.1:8103

Each prints one JSON line. `dashboard`, `export` and `live` use the database named by the
environment (TOWNSQUARE_VAR_DIR / DATABASE_URL), filled beforehand with
`townsquare demo --cases-per-council 0 && townsquare generate --cases 1000000`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def bench_import() -> dict:
    """Boston 2015 (121,145 rows in 158 files) through `townsquare import`, fresh database."""
    var = Path(tempfile.mkdtemp(prefix="bench-import-"))
    env = {**os.environ, "TOWNSQUARE_VAR_DIR": str(var), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    cli = [sys.executable, "-m", "townsquare.cli"]
    subprocess.run([*cli, "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    setup = (
        "from pathlib import Path; from django.conf import settings; "
        "from townsquare.catalogue.documents import library_files, load_template_file; "
        "from townsquare.demo.boston import boston_council_ensure; "
        "lib=[load_template_file(p) for p in "
        "library_files(Path(settings.SERVICE_TEMPLATE_LIBRARY))]; "
        "boston_council_ensure(library=lib, password='x'*20, totp_secret='JBSWY3DPEHPK3PXP',"
        " roles=())"
    )
    subprocess.run([*cli, "shell", "-c", setup], cwd=ROOT, env=env, check=True)  # noqa: S603
    data = Path(env.get("TOWNSQUARE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    started = time.monotonic()
    out = subprocess.run(  # noqa: S603
        [
            *cli,
            "import",
            str(data / "boston311_2015"),
            "--council",
            "boston",
            "--mapping",
            "boston",
            "--quiet",
            "--rejected",
            str(var / "rejected.csv"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    wall = time.monotonic() - started
    again_started = time.monotonic()
    subprocess.run(  # noqa: S603
        [
            *cli,
            "import",
            str(data / "boston311_2015"),
            "--council",
            "boston",
            "--mapping",
            "boston",
            "--quiet",
            "--rejected",
            str(var / "r2.csv"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    again = time.monotonic() - again_started
    shutil.rmtree(var, ignore_errors=True)
    first = out.splitlines()[0]  # "121,145 rows read in 5.1 s (23,606 rows/s)"
    rows = int(first.split()[0].replace(",", ""))
    seconds = float(first.split(" in ")[1].split()[0])
    imported = int(
        next(line for line in out.splitlines() if "imported:" in line)
        .split(":")[1]
        .replace(",", "")
    )
    return {
        "rows": rows,
        "imported": imported,
        "seconds_in_command": seconds,
        "rows_per_s": round(rows / seconds),
        "cases_per_s": round(imported / seconds),
        "wall_seconds_with_startup": round(wall, 1),
        "rerun_seconds": round(again, 1),
    }


def bench_dashboard() -> dict:
    """A council's dashboard in a fresh process (cold: nothing memoised) and again (warm), for
    the selector alone and for the whole staff page through Django's test client."""
    _django()
    from django.db.models import Count
    from django.test import Client

    from townsquare.accounts.models import Membership
    from townsquare.cases.models import Case
    from townsquare.councils.models import Council
    from townsquare.insights import selectors
    from townsquare.insights.figures import figures_catch_up, figures_rebuild
    from townsquare.insights.models import CaseFact

    total = Case.objects.count()
    if CaseFact.objects.count() < total * 0.9:
        started = time.monotonic()
        figures_rebuild()
        rebuild = time.monotonic() - started
    else:
        rebuild = None
    figures_catch_up()
    biggest = Case.objects.values("council_id").annotate(n=Count("id")).order_by("-n").first()
    council = Council.objects.get(id=biggest["council_id"])
    filters = selectors.default_filters(council=council)
    selectors._memo.invalidate()
    started = time.perf_counter()
    selectors.dashboard_get(council=council, filters=filters)
    cold = (time.perf_counter() - started) * 1000
    warm_runs = []
    for _ in range(20):
        started = time.perf_counter()
        selectors.dashboard_get(council=council, filters=filters)
        warm_runs.append((time.perf_counter() - started) * 1000)
    # The page, as staff see it (signed in with both factors).
    user = Membership.objects.filter(council=council, role="council_admin").first().user
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    session = client.session
    from townsquare.core import clock

    session["staff.verified_at"] = session["staff.seen_at"] = clock.now().isoformat()
    session["staff.council_id"] = council.id
    session.save()
    # A process that has served pages already (URLs, templates loaded), figures not memoised.
    client.get("/staff/")
    client.get("/performance/")
    selectors._memo.invalidate()
    started = time.perf_counter()
    response = client.get("/staff/dashboards/")
    page_cold = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    page_runs = []
    for _ in range(10):
        started = time.perf_counter()
        client.get("/staff/dashboards/?fragment=summary")
        page_runs.append((time.perf_counter() - started) * 1000)
    full_runs = []
    for _ in range(5):
        started = time.perf_counter()
        client.get("/staff/dashboards/")
        full_runs.append((time.perf_counter() - started) * 1000)
    return {
        "cases": total,
        "council_cases": biggest["n"],
        "council": council.slug,
        "period": f"{filters.start}..{filters.end}",
        "rebuild_seconds": round(rebuild, 1) if rebuild else None,
        "selector_cold_ms": round(cold, 1),
        "selector_warm_ms": round(statistics.median(warm_runs), 2),
        "page_cold_ms": round(page_cold, 1),
        "page_warm_full_ms": round(statistics.median(full_runs), 1),
        "page_warm_summary_fragment_ms": round(statistics.median(page_runs), 1),
    }


def bench_export() -> dict:
    """The CSV export of every council, streamed, as the download view streams it."""
    _django()
    from townsquare.opendata.exports import Export, stream

    started = time.perf_counter()
    rows = -1  # the header
    size = 0
    for chunk in stream(Export(council_ids=None, fmt="csv")):
        rows += chunk.count("\n")
        size += len(chunk)
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "mb": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
    }


async def _live(url: str, streams: int, actions: int) -> dict:
    """`streams` SSE clients follow one public case on a running server; every 0.5 s a staff
    member posts a public update (through the service layer, as the staff web does); for each
    update and client, the time from the start of the action to the client holding the event.
    Meanwhile an ordinary page is fetched to show the streams do not starve other requests."""
    from urllib.parse import urlparse

    from asgiref.sync import sync_to_async

    from townsquare.accounts.models import Membership
    from townsquare.accounts.selectors import principal_for_user
    from townsquare.cases.models import Case
    from townsquare.cases.services import case_post_public_update

    parsed = urlparse(url)
    case = await sync_to_async(
        lambda: Case.objects.filter(is_public=True, is_open=True).order_by("-id").first()
    )()
    member = await sync_to_async(
        lambda: (
            Membership.objects.filter(council_id=case.council_id, role="agent")
            .select_related("user")
            .first()
        )
    )()
    agent = await sync_to_async(principal_for_user)(member.user)
    arrivals: dict[int, list[float]] = {}
    ready = 0

    async def client() -> None:
        nonlocal ready
        reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
        writer.write(
            f"GET /live/cases/{case.reference} HTTP/1.1\r\nHost: {parsed.netloc}"
            "\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        try:
            while line := await reader.readline():
                if line.startswith(b"data: "):
                    data = json.loads(line[6:])
                    if data["kind"] == "ready":
                        ready += 1
                    elif data["kind"] == "case.public_update":
                        arrivals.setdefault(data["id"], []).append(time.time())
        except (asyncio.CancelledError, ConnectionError):
            pass
        finally:
            writer.close()

    async def page_latency() -> float:
        reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
        started = time.perf_counter()
        writer.write(
            f"GET /healthz HTTP/1.1\r\nHost: {parsed.netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        await reader.read()
        writer.close()
        return (time.perf_counter() - started) * 1000

    tasks = []
    for _ in range(streams):
        tasks.append(asyncio.create_task(client()))
        await asyncio.sleep(0.002)
    deadline = time.monotonic() + 60
    while ready < streams and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    sent: list[float] = []
    pages: list[float] = []
    for i in range(actions):
        sent.append(time.time())
        await sync_to_async(case_post_public_update, thread_sensitive=False)(
            case=case, actor=agent, message=f"Bench update {i}"
        )
        pages.append(await page_latency())
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)
    for task in tasks:
        task.cancel()
    latencies = []
    for at, event_id in zip(sent, sorted(arrivals), strict=False):
        latencies += [(t - at) * 1000 for t in arrivals[event_id]]
    latencies.sort()
    expected = streams * actions
    return {
        "streams": streams,
        "connected": ready,
        "actions": actions,
        "deliveries": len(latencies),
        "expected_deliveries": expected,
        "p50_ms": round(latencies[len(latencies) // 2], 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "max_ms": round(latencies[-1], 1),
        "page_during_streams_median_ms": round(statistics.median(pages), 1),
    }


def bench_live(url: str, streams: int, actions: int) -> dict:
    _django()
    return asyncio.run(_live(url, streams, actions))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["import", "dashboard", "export", "live"])
    parser.add_argument("--url", default="http://127.0.0.1:8103")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=20)
    args = parser.parse_args()
    if args.what == "import":
        print(json.dumps(bench_import()))
    elif args.what == "dashboard":
        print(json.dumps(bench_dashboard()))
    elif args.what == "export":
        print(json.dumps(bench_export()))
    else:
        print(json.dumps(bench_live(args.url, args.streams, args.actions)))


if __name__ == "__main__":
    main()
