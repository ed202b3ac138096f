"""Open311 at N cases (issue 24): every figure beside the framework's ceiling, measured in the
same run with wrk (16 connections, keep-alive), written to bench/RESULTS.md.

    python bench/open311_million.py --cases 100000 --port 8870
    python bench/open311_million.py --cases 1000000 --port 8870 --seconds 20

Steps, each printed as it runs; the last line is one JSON object of every figure:

1. A database of its own under --var (`townsquare migrate`, `demo`, then `generate --cases N`;
   --reuse keeps one from an earlier run, --database-url runs on PostgreSQL instead).
2. In the first minute after the load: the first dashboard figures (dashboard_get for Bristol,
   in a fresh process, as the staff dashboard's first view runs it), then `townsquare serve
   --no-worker` (two web processes) and creates with wrk for --create-seconds.
3. The bare ceiling app (bench/ceiling_app.py, two granian processes) and each read with wrk for
   --seconds in turn: services.json, services/{code}.json, the filtered search (status +
   service_code + 90-day window), lookup by id, the default requests.json; the ceiling again
   at the end, and the load average of the machine.
4. The filtered search one request at a time on the idle server (median of --requests).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.sections import write_section  # noqa: E402

BIN = ROOT / ".venv" / "bin"
TOWNSQUARE = str(BIN / "townsquare")
PYTHON = str(BIN / "python")
START = "<!-- open311-million:start -->"
END = "<!-- open311-million:end -->"

# wrk prints one JSON line at the end of a run (requests, errors, latency percentiles).
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'JSON {"requests": %d, "seconds": %.2f, "errors": %d, "non_2xx_3xx": %d, '
    .. '"p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f}\\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000))
end
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(  # noqa: S603
        args, env=env, check=True, capture_output=True, text=True
    ).stdout


def wait_for(port: int, path: str) -> None:
    for _ in range(600):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"nothing answers on {port}")


def start(args: list[str], env: dict[str, str], port: int, path: str) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603
        args,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(port, path)
    return process


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, 15)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)


def wrk(url: str, seconds: float, script: str = "") -> dict:
    """wrk -t1 -c16 on `url`; `script` adds Lua (a request() to vary paths, a POST body)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + WRK_REPORT)
    try:
        out = subprocess.run(  # noqa: S603
            [
                "/usr/bin/wrk",
                "-t1",
                "-c16",
                f"-d{int(seconds)}s",
                "--timeout",
                "30s",
                "-s",
                handle.name,
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    found = re.search(r"^JSON (.*)$", out, re.M)
    if not found:
        raise SystemExit(f"wrk said:\n{out}")
    result = json.loads(found.group(1))
    result["per_s"] = round(result["requests"] / result["seconds"], 1)
    return result


def lua_paths(paths: list[str]) -> str:
    listed = ",".join(json.dumps(p) for p in paths)
    return (
        f"local paths = {{{listed}}}\n"
        "math.randomseed(24)\n"
        "request = function()\n"
        "  return wrk.format('GET', paths[math.random(#paths)])\n"
        "end\n"
    )


def lua_post(path: str, form: dict[str, str]) -> str:
    body = urllib.parse.urlencode(form)
    return (
        f"wrk.method = 'POST'\nwrk.path = {json.dumps(path)}\nwrk.body = {json.dumps(body)}\n"
        "wrk.headers['Content-Type'] = 'application/x-www-form-urlencoded'\n"
    )


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def first_dashboard_seconds(env: dict[str, str]) -> float:
    """What the staff dashboard's first view does with the figures, in a fresh process."""
    code = (
        "import time, datetime as dt\n"
        "from townsquare.councils.selectors import council_get\n"
        "from townsquare.insights.selectors import Filters, dashboard_get\n"
        "c = council_get(slug='bristol')\n"
        "end = dt.date.today(); f = Filters(start=end - dt.timedelta(days=29), end=end)\n"
        "t = time.perf_counter(); dashboard_get(council=c, filters=f)\n"
        "print(round(time.perf_counter() - t, 3))\n"
    )
    return float(run([TOWNSQUARE, "shell", "-c", code], env).split()[-1])


def idle_median(port: int, path: str, requests: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    timings, counts = [], []
    for i in range(requests + 3):
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if i >= 3:
            timings.append(time.perf_counter() - started)
            counts.append(len(json.loads(body)) if response.status == 200 else -1)
    timings.sort()
    return {
        "requests": requests,
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "p90_ms": round(timings[int(len(timings) * 0.9)] * 1000, 1),
        "results": statistics.median(counts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8870)
    parser.add_argument("--var", default="")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--create-seconds", type=float, default=60)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--no-write", action="store_true", help="Leave RESULTS.md alone")
    options = parser.parse_args()

    var = Path(options.var or ROOT / "var" / f"open311-{options.cases}")
    env = {
        **os.environ,
        "TOWNSQUARE_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "OPEN311_WRITES_PER_MINUTE": "10000000",
    }
    env.pop("DATABASE_URL", None)
    if options.database_url:
        env["DATABASE_URL"] = options.database_url
    database = "PostgreSQL" if options.database_url else "SQLite"
    figures: dict = {"cases": options.cases, "database": database}
    if not options.reuse:
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        say("migrate, demo ...")
        run([TOWNSQUARE, "migrate", "--no-input", "-v", "0"], env)
        run([TOWNSQUARE, "demo"], env)
        say(f"generate --cases {options.cases:,} ...")
        started = time.monotonic()
        run([TOWNSQUARE, "generate", "--cases", str(options.cases)], env)
        figures["generate_seconds"] = round(time.monotonic() - started, 1)
    loaded_at = time.monotonic()
    figures["first_dashboard_s"] = first_dashboard_seconds(env)
    say(f"  first dashboard {figures['first_dashboard_s']} s after the load")
    out = run(
        [TOWNSQUARE, "apikeys", "create", "--council", "bristol", "--name", "O311 bench"], env
    )
    key = next(w for w in out.split() if w.startswith("ts_"))

    port, ceiling_port = options.port, options.port + 1
    base, ceiling = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ceiling_port}"
    server = start(
        [TOWNSQUARE, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
        {**env, "WEB_WORKERS": "2"},
        port,
        "/healthz",
    )
    bare = start(
        [
            *(PYTHON, "-m", "granian", "--interface", "asgi", "--workers", "2", "--no-ws"),
            *("--host", "127.0.0.1", "--port", str(ceiling_port), "bench.ceiling_app:application"),
        ],
        {**env, "PYTHONPATH": str(ROOT)},
        ceiling_port,
        "/items",
    )
    try:
        form = {
            "api_key": key,
            "service_code": "graffiti",
            "lat": "51.4545",
            "long": "-2.5879",
            "attribute[offensive]": "no",
            "attribute[surface]": "bus_shelter",
            "description": "Tags sprayed on the bus shelter, reported by a load test",
            "email": "load@example.org",
            "first_name": "Load",
            "last_name": "Test",
        }
        figures["create"] = wrk(
            f"{base}/open311/v2/requests.json",
            options.create_seconds,
            lua_post("/open311/v2/requests.json", form),
        )
        figures["create"]["started_s_after_load"] = round(time.monotonic() - loaded_at, 1)
        say(f"  create {figures['create']}")

        figures["ceiling_before"] = wrk(f"{ceiling}/items", options.seconds)
        say(f"  ceiling {figures['ceiling_before']}")
        _s, body = get(port, "/open311/v2/services.json?jurisdiction_id=bristol.gov.uk")
        codes = [s["service_code"] for s in json.loads(body)] or ["graffiti"]
        figures["services"] = wrk(f"{base}/open311/v2/services.json", options.seconds)
        say(f"  services {figures['services']}")
        figures["service_definition"] = wrk(
            base, options.seconds, lua_paths([f"/open311/v2/services/{c}.json" for c in codes])
        )
        say(f"  definition {figures['service_definition']}")
        start_date = (dt.datetime.now(dt.UTC) - dt.timedelta(days=90)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        searches = [
            f"/open311/v2/requests.json?status=open&service_code={c}&start_date={start_date}"
            for c in codes
        ]
        figures["filtered_search"] = wrk(base, options.seconds, lua_paths(searches))
        say(f"  filtered search {figures['filtered_search']}")
        _s, body = get(port, "/open311/v2/requests.json?page_size=100")
        ids = [r["service_request_id"] for r in json.loads(body)]
        for page in range(2, 6):
            _s, body = get(port, f"/open311/v2/requests.json?page_size=100&page={page}")
            ids += [r["service_request_id"] for r in json.loads(body)]
        figures["lookup"] = wrk(
            base, options.seconds, lua_paths([f"/open311/v2/requests/{i}.json" for i in ids])
        )
        say(f"  lookup {figures['lookup']}")
        figures["default_list"] = wrk(f"{base}/open311/v2/requests.json", options.seconds)
        say(f"  default list {figures['default_list']}")
        figures["ceiling_after"] = wrk(f"{ceiling}/items", options.seconds)
        say(f"  ceiling {figures['ceiling_after']}")
        # The idle figure on the search with the most results (a page of nothing is flattery).
        sizes = {path: len(json.loads(get(port, path)[1])) for path in searches}
        busiest = max(searches, key=lambda path: sizes[path])
        figures["filtered_search_idle"] = idle_median(port, busiest, options.requests)
        figures["filtered_search_idle"]["path"] = busiest
        say(f"  filtered search, idle {figures['filtered_search_idle']}")
    finally:
        stop(server)
        stop(bare)
    figures["load_average"] = [round(x, 1) for x in os.getloadavg()]
    figures["cpus"] = os.cpu_count()
    print(json.dumps(figures))
    if not options.no_write:
        write_section(report(figures, options), start=START, end=END)


def report(f: dict, options: argparse.Namespace) -> str:
    ceiling = min(f["ceiling_before"]["per_s"], f["ceiling_after"]["per_s"])
    idle = f["filtered_search_idle"]
    start = START.replace("start", f"start {f['database']} {f['cases']}")
    end = END.replace("end", f"end {f['database']} {f['cases']}")

    def row(name: str, key: str, goal: str) -> str:
        r = f[key]
        share = f"{100 * r['per_s'] / ceiling:.0f}%"
        return (
            f"| {name} | {r['per_s']:,} | {share} | {r['p50_ms']} | {r['p99_ms']} | "
            f"{r['errors']} | {goal} |"
        )

    command = f"python bench/open311_million.py --cases {f['cases']} --port {options.port}"
    if options.database_url:
        command += f" --database-url {options.database_url}"
    return "\n".join(
        [
            start,
            f"## Open311 at {f['cases']:,} cases, {f['database']} (issue 24)",
            "",
            f"`wrk -t1 -c16`, two server processes, {options.seconds:g} s a request kind "
            f"({options.create_seconds:g} s of creates); the bare ceiling app (Django + "
            f"django-ninja + granian, 20 items of JSON) measured in the same run: "
            f"{f['ceiling_before']['per_s']:,} req/s before, {f['ceiling_after']['per_s']:,} "
            f"after. Machine: {f['cpus']} CPUs shared with other engineers' test runs, load "
            f"average {f['load_average']} at the end, so absolute figures are depressed; read "
            "them as a share of the ceiling.",
            "",
            "| request | req/s | of ceiling | p50 ms | p99 ms | errors | goal |",
            "|---|---|---|---|---|---|---|",
            row("`services.json`", "services", "50% of ceiling"),
            row("`services/{code}.json`", "service_definition", "50% of ceiling"),
            row(
                "`requests.json?status=open&service_code=X&start_date=...`",
                "filtered_search",
                "200 req/s",
            ),
            row("`requests/{id}.json`", "lookup", "50% of ceiling"),
            row("`requests.json` (default: 90 days, up to 1,000)", "default_list", "100 req/s"),
            row(
                f"`POST requests.json` ({options.create_seconds:g} s, from "
                f"{f['create']['started_s_after_load']} s after the load)",
                "create",
                "300 creates/s, 0 errors",
            ),
            "",
            f"Filtered search one at a time on the idle server: median {idle['median_ms']} ms, "
            f"p90 {idle['p90_ms']} ms ({idle['results']} results; goal: under 50 ms). First "
            f"dashboard figures after the load: {f['first_dashboard_s']} s (goal: under 1 s)."
            + (f" `generate` took {f['generate_seconds']} s." if "generate_seconds" in f else ""),
            "",
            f"Reproduce with `{command}`.",
            "",
            f"Raw: `{json.dumps(f)}`",
            end,
        ]
    )


if __name__ == "__main__":
    main()
