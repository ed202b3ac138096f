"""Load against a live Open311 server on loopback, from several client processes.

    python bench/open311_load.py list --url http://127.0.0.1:8311 --requests 60
    python bench/open311_load.py one --url ... --seconds 15 --clients 4 --ids ids.txt
    python bench/open311_load.py create --url ... --seconds 60 --clients 4 --api-key KEY

Each prints one JSON line. Clients keep their connections alive, as real clients do; every
response's status is checked, and anything but the expected status counts as an error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import random
import statistics
import time
import urllib.parse


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)


def _call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict | None = None,
) -> tuple[int, bytes]:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def bench_list(url: str, requests: int) -> dict:
    """Latency of the default search (last 90 days, up to 1,000 results), one at a time."""
    conn = _connection(url)
    timings, sizes, errors = [], [], 0
    for i in range(requests + 5):
        started = time.perf_counter()
        status, body = _call(conn, "GET", "/open311/v2/requests.json")
        elapsed = time.perf_counter() - started
        if status != 200:
            errors += 1
        if i >= 5:  # warm-up
            timings.append(elapsed)
            sizes.append(len(json.loads(body)) if status == 200 else 0)
    timings.sort()
    return {
        "requests": requests,
        "errors": errors,
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "p90_ms": round(timings[int(len(timings) * 0.9)] * 1000, 1),
        "results_per_response": statistics.median(sizes),
    }


def _worker(args: tuple) -> tuple[int, int, list[float], str]:
    kind, url, seconds, start_at, payload, seed = args
    rng = random.Random(seed)
    conn = _connection(url)
    ok = errors = 0
    latencies: list[float] = []
    first_error = ""
    time.sleep(max(0.0, start_at - time.time()))
    deadline = start_at + seconds
    while time.time() < deadline:
        started = time.perf_counter()
        try:
            if kind == "one":
                path = f"/open311/v2/requests/{rng.choice(payload)}.json"
                status, body = _call(conn, "GET", path)
                expected = 200
            else:
                body = urllib.parse.urlencode(_create_form(rng, payload))
                status, body = _call(
                    conn,
                    "POST",
                    "/open311/v2/requests.json",
                    body,
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )
                expected = 200
        except (OSError, http.client.HTTPException) as exc:
            status, expected, body = 0, 200, str(exc).encode()
            conn.close()
            conn = _connection(url)
        latencies.append(time.perf_counter() - started)
        if status == expected:
            ok += 1
        else:
            errors += 1
            first_error = first_error or f"{status} {body[:200]!r}"
    return ok, errors, latencies, first_error


def _create_form(rng: random.Random, payload: dict) -> dict:
    lat = rng.uniform(*payload["lat"])
    lng = rng.uniform(*payload["lng"])
    return {
        "api_key": payload["api_key"],
        "service_code": "graffiti",
        "lat": f"{lat:.6f}",
        "long": f"{lng:.6f}",
        "attribute[offensive]": "no",
        "attribute[surface]": "bus_shelter",
        "description": "Tags sprayed on the bus shelter, reported by a load test",
        "email": "load@example.org",
        "first_name": "Load",
        "last_name": "Test",
    }


def bench_parallel(kind: str, url: str, seconds: float, clients: int, payload) -> dict:
    start_at = time.time() + 2
    jobs = [(kind, url, seconds, start_at, payload, i) for i in range(clients)]
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(_worker, jobs)
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    latencies = sorted(x for r in results for x in r[2])
    return {
        "clients": clients,
        "seconds": seconds,
        "ok": ok,
        "errors": errors,
        "per_s": round(ok / seconds),
        "median_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
        "first_error": next((r[3] for r in results if r[3]), ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["list", "one", "create"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--ids", help="File of service_request_ids, one a line")
    parser.add_argument("--api-key")
    parser.add_argument(
        "--area",
        default="51.45,51.47,-2.60,-2.56",
        help="min_lat,max_lat,min_lng,max_lng for created points",
    )
    args = parser.parse_args()
    if args.what == "list":
        result = bench_list(args.url, args.requests)
    elif args.what == "one":
        with open(args.ids) as handle:
            ids = [line.strip() for line in handle if line.strip()]
        result = bench_parallel("one", args.url, args.seconds, args.clients, ids)
    else:
        min_lat, max_lat, min_lng, max_lng = map(float, args.area.split(","))
        payload = {"api_key": args.api_key, "lat": (min_lat, max_lat), "lng": (min_lng, max_lng)}
        result = bench_parallel("create", args.url, args.seconds, args.clients, payload)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
