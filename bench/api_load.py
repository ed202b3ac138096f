"""The REST API's figures (issue 21) against live servers on loopback, on a database of N cases.

    python bench/api_load.py --cases 1000000 --port 8725

Steps, each printing what it does; the last line is one JSON object of every figure:

1. A database of its own (`--var`, default /tmp/townsquare-api-bench): a copy of `--from-db`
   (a database `make demo` filled) if given, else `townsquare demo`; then `townsquare generate
   --cases N` (skipped with --reuse when the database already holds them).
2. A key of Bristol with every scope (`townsquare apikeys create`).
3. `townsquare serve --no-worker` (two web processes; the background worker would spend the
   run on the generated cases' events) on `--port`, the rate limit out of the way:
   - search: `GET /api/v1/cases` with filters (overdue, service, ward, team, assigned, status
     in turns), one request at a time; the median is client-side wall time per full answer.
   - one: `GET /api/v1/cases/{reference}` (the case with its timeline) for references spread
     over Bristol's cases for `--seconds`: with wrk (Debian's package: `apt install wrk`), 16
     keep-alive connections, the server's CPU per request, and `/healthz` in the same run for
     the machine's floor; without wrk, from `--clients` Python processes (which compete with
     the server for the cores); requests/s, 0 errors.
4. Two more servers (one web process each, `--port`+1 and +2) sharing the database, with
   API_RATE_BURST and API_RATE_PER_SECOND set: clients call both as fast as they can for
   `--rate-seconds`, and the count of 200s is compared with what the bucket allows,
   burst + rate * elapsed; everything else must be a 429 with Retry-After.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOWNSQUARE = str(ROOT / ".venv" / "bin" / "townsquare")
FILTERS = [
    "overdue=true",
    "overdue=true&service={service}",
    "status=open&ward={ward}",
    "assigned=false&team={team}",
    "overdue=false&service={service}&ward={ward}",
    "status=all&service={service}",
]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(  # noqa: S603
        args, env=env, check=True, capture_output=True, text=True
    ).stdout


def call(conn: http.client.HTTPConnection, path: str, key: str) -> tuple[int, bytes, dict]:
    conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
    response = conn.getresponse()
    return response.status, response.read(), dict(response.getheaders())


def connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def serve(env: dict[str, str], port: int, workers: int, **extra: str) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603
        [TOWNSQUARE, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "WEB_WORKERS": str(workers), **extra},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            conn = connect(port)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"the server on {port} did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def bench_search(port: int, key: str, requests: int, choices: dict) -> dict:
    conn = connect(port)
    rng = random.Random(21)
    timings, errors, sizes = [], 0, []
    for i in range(requests + 5):
        query = rng.choice(FILTERS).format(
            service=rng.choice(choices["services"]),
            ward=rng.choice(choices["wards"]),
            team=rng.choice(choices["teams"]),
        )
        started = time.perf_counter()
        status, body, _ = call(conn, f"/api/v1/cases?{query}&limit=50", key)
        elapsed = time.perf_counter() - started
        if status != 200:
            errors += 1
        elif i >= 5:  # warm-up
            timings.append(elapsed * 1000)
            sizes.append(len(json.loads(body)["items"]))
    timings.sort()
    return {
        "requests": requests,
        "errors": errors,
        "median_ms": round(statistics.median(timings), 1),
        "p90_ms": round(timings[int(len(timings) * 0.9)], 1),
        "median_items": statistics.median(sizes),
    }


def _one_client(args: tuple) -> tuple[int, int, list[float], str]:
    port, key, references, seconds, seed = args
    conn, rng = connect(port), random.Random(seed)
    ok = errors = 0
    timings: list[float] = []
    first_error = ""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        status, _body, _ = call(conn, f"/api/v1/cases/{rng.choice(references)}", key)
        timings.append((time.perf_counter() - started) * 1000)
        if status == 200:
            ok += 1
        else:
            errors += 1
            first_error = first_error or str(status)
    return ok, errors, timings, first_error


def _server_cpu_seconds(server: subprocess.Popen) -> float:
    """User and system CPU of the server and every process under it (Linux /proc)."""
    pids, i = [server.pid], 0
    while i < len(pids):
        children = Path(f"/proc/{pids[i]}/task/{pids[i]}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        i += 1
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


_WRK_SCRIPT = """
local refs = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/cases/" .. refs[(i %% #refs) + 1],
                    {["Authorization"] = "Bearer %s"})
end
"""


def _wrk_ms(value: str) -> float:
    """A wrk latency ("850.00us", "35.79ms", "1.14s") in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("m", 60_000.0), ("s", 1000.0)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    return float(value)


def _wrk(port: int, path: str, seconds: float, connections: int, script: str = "") -> dict:
    """One wrk run (-t1, keep-alive connections): requests/s, errors and latency."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency"]
    if script:
        args += ["-s", script]
    out = subprocess.run(  # noqa: S603
        [*args, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    figures: dict = {"connections": connections, "seconds": seconds}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            figures["per_s"] = round(float(words[1]))
        elif "requests in" in line:
            figures["requests"] = int(words[0])
        elif line.strip().startswith(("Non-2xx", "Socket errors")):
            figures["errors"] = figures.get("errors", 0) + sum(
                int(w.strip(",")) for w in words if w.strip(",").isdigit()
            )
        elif words and words[0] in ("50%", "99%"):
            figures[f"p{words[0][:-1]}_ms"] = round(_wrk_ms(words[1]), 2)
    figures.setdefault("errors", 0)
    return figures


def bench_one_wrk(
    server: subprocess.Popen,
    server_var: Path,
    port: int,
    key: str,
    references: list[str],
    seconds: float,
) -> dict:
    """The case read with wrk (16 connections), the server's CPU per request beside it, and
    `/healthz` (the cheapest route: a framework's floor on this machine) in the same run."""
    script = server_var / "api-one.lua"
    quoted = ",".join(json.dumps(r) for r in references)
    script.write_text(_WRK_SCRIPT % (quoted, key))
    before = _server_cpu_seconds(server)
    one = _wrk(port, "/", seconds, 16, str(script))
    one["server_cpu_ms_per_request"] = round(
        (_server_cpu_seconds(server) - before) * 1000 / max(1, one["requests"]), 2
    )
    before = _server_cpu_seconds(server)
    floor = _wrk(port, "/healthz", min(seconds, 10), 16)
    floor["server_cpu_ms_per_request"] = round(
        (_server_cpu_seconds(server) - before) * 1000 / max(1, floor["requests"]), 2
    )
    one["healthz_same_run"] = floor
    return one


def bench_one(port: int, key: str, references: list[str], clients: int, seconds: float) -> dict:
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(
            _one_client, [(port, key, references, seconds, i) for i in range(clients)]
        )
    ok = sum(r[0] for r in results)
    timings = sorted(t for r in results for t in r[2])
    return {
        "clients": clients,
        "seconds": seconds,
        "ok": ok,
        "errors": sum(r[1] for r in results),
        "per_s": round(ok / seconds),
        "median_ms": round(statistics.median(timings), 1),
        "p99_ms": round(timings[int(len(timings) * 0.99)], 1),
        "first_error": next((r[3] for r in results if r[3]), ""),
    }


def _rate_client(args: tuple) -> list[tuple[float, float, int, bool]]:
    ports, key, until = args
    conns = [connect(p) for p in ports]
    seen = []
    i = 0
    while time.time() < until:
        sent = time.time()
        status, _body, headers = call(conns[i % len(conns)], "/api/v1/services", key)
        retry = any(k.lower() == "retry-after" for k in headers)
        seen.append((sent, time.time(), status, retry))
        i += 1
    return seen


def bench_rate(ports: list[int], key: str, burst: int, rate: float, seconds: float, clients: int):
    until = time.time() + seconds
    with multiprocessing.Pool(clients) as pool:
        calls = [c for r in pool.map(_rate_client, [(ports, key, until)] * clients) for c in r]
    calls.sort()
    allowed = [c for c in calls if c[2] == 200]
    refused = [c for c in calls if c[2] == 429]
    others = len(calls) - len(allowed) - len(refused)
    # The bucket starts full: from the first call to the last answer it can allow at most
    # burst + rate * elapsed, and, kept busy, at least burst + rate * (elapsed - one call).
    elapsed = calls[-1][1] - calls[0][0]
    return {
        "servers": len(ports),
        "clients": clients,
        "burst": burst,
        "rate_per_s": rate,
        "seconds": round(elapsed, 2),
        "calls": len(calls),
        "ok": len(allowed),
        "limited": len(refused),
        "limited_without_retry_after": sum(1 for c in refused if not c[3]),
        "other_statuses": others,
        "bucket_allows_at_most": round(burst + rate * elapsed, 1),
        "ok_per_s_after_burst": round((len(allowed) - burst) / elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=8725)
    parser.add_argument("--var", default=str(ROOT / "var" / "api-bench"))
    parser.add_argument("--from-db", help="A demo database to start from (saves `make demo`)")
    parser.add_argument("--reuse", action="store_true", help="Keep the database as it is")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2)
    parser.add_argument("--rate-seconds", type=float, default=30)
    options = parser.parse_args()

    var = Path(options.var)
    env = {
        **os.environ,
        "TOWNSQUARE_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    env.pop("DATABASE_URL", None)
    figures: dict = {"cases_generated": options.cases}
    if not options.reuse:
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        if options.from_db:
            shutil.copy(options.from_db, var / "townsquare.sqlite3")
            run([TOWNSQUARE, "migrate", "--no-input", "-v", "0"], env)
        else:
            say("make demo ...")
            run([TOWNSQUARE, "migrate", "--no-input", "-v", "0"], env)
            run([TOWNSQUARE, "demo"], env)
        say(f"generate --cases {options.cases:,} ...")
        started = time.monotonic()
        run([TOWNSQUARE, "generate", "--cases", str(options.cases)], env)
        figures["generate_seconds"] = round(time.monotonic() - started, 1)
    out = run(
        [
            TOWNSQUARE,
            "apikeys",
            "create",
            "--council",
            "bristol",
            "--name",
            "API bench",
            "--scopes",
            "read_public,read_personal,write_cases,admin",
        ],
        env,
    )
    key = next(w for w in out.split() if w.startswith("ts_"))

    say("search and one case, two web processes ...")
    server = serve(env, options.port, 2, API_RATE_BURST="100000000", API_RATE_PER_SECOND="1e6")
    try:
        conn = connect(options.port)
        status, body, _h = call(conn, "/api/v1/services", key)
        if status != 200:
            raise SystemExit(f"GET /api/v1/services answered {status}: {body[:500]!r}")
        services = [s["code"] for s in json.loads(body)]
        pages, cursor = [], ""
        for _ in range(20):  # 4,000 references from across the council's cases
            _s, body, _h = call(conn, f"/api/v1/cases?status=all&limit=200{cursor}", key)
            page = json.loads(body)
            pages += page["items"]
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
        choices = {
            "services": services,
            "wards": sorted({c["area_id"] for c in pages if c["area_id"]}) or [1],
            "teams": sorted({c["team_id"] for c in pages if c["team_id"]}) or [1],
        }
        figures["search"] = bench_search(options.port, key, options.requests, choices)
        say(f"  search {figures['search']}")
        references = [c["reference"] for c in pages]
        if shutil.which("wrk"):
            figures["one"] = bench_one_wrk(
                server, var, options.port, key, references, options.seconds
            )
        else:  # Python clients: they spend the cores the server needs, so this reads low
            figures["one"] = bench_one(
                options.port, key, references, options.clients, options.seconds
            )
        say(f"  one {figures['one']}")
    finally:
        stop(server)

    say("rate limit across two server processes ...")
    ports = [options.port + 1, options.port + 2]
    limits = {"API_RATE_BURST": str(options.burst), "API_RATE_PER_SECOND": str(options.rate)}
    servers = [serve(env, p, 1, **limits) for p in ports]
    try:
        # A fresh key: its bucket starts full.
        out = run(
            [TOWNSQUARE, "apikeys", "create", "--council", "bristol", "--name", "Rate bench"], env
        )
        rate_key = next(w for w in out.split() if w.startswith("ts_"))
        figures["rate"] = bench_rate(
            ports, rate_key, options.burst, options.rate, options.rate_seconds, options.clients
        )
        say(f"  rate {figures['rate']}")
    finally:
        for server in servers:
            stop(server)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
