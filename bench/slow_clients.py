"""Normal pages while hundreds of slow clients hold connections (issue #23 item 1, ADR 140).
Writes its own section of bench/RESULTS.md.

    python bench/slow_clients.py              # SQLite under bench/out/slow-clients, port 8610

`townsquare serve` (two web processes, as `make run`) on a fresh demo database. One client asks
for /healthz and the home page in turn, one request at a time on a kept-alive connection: first
with nothing else connected, then while 200 clients send a form body two bytes a second
(declaring 100,000 bytes) and 200 more send their request headers two bytes a second. The slow
clients run in a process of their own, so the measuring client competes with them for the CPU
only as a real visitor would.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, TOWNSQUARE, fresh_sqlite, machine, prepare, sh
from sections import write_section

START, END = "<!-- slow-clients:start -->", "<!-- slow-clients:end -->"
TARGET_P99_MS = 100
SLOW_BODIES = 200
SLOW_HEADERS = 200
PATHS = ("/healthz", "/")


def _slow_clients(port: int, ready, stop, reopened) -> None:
    """Open the slow connections, then trickle two bytes a second into each until told to stop;
    a connection the server closes (a header sender after granian's 30 s) is opened again."""

    def body() -> tuple[socket.socket, bytes]:
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
        )
        return client, b"ab"

    def header() -> tuple[socket.socket, bytes]:
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        return client, b"ab"

    clients = [body() for _ in range(SLOW_BODIES)] + [header() for _ in range(SLOW_HEADERS)]
    kinds = [body] * SLOW_BODIES + [header] * SLOW_HEADERS
    ready.set()
    while not stop.wait(1):
        for i, (client, trickle) in enumerate(clients):
            try:
                client.sendall(trickle)
            except OSError:
                client.close()
                clients[i] = kinds[i]()
                reopened.value += 1
    for client, _ in clients:
        client.close()


def _latencies(port: int, requests: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings, errors = [], 0
    for i in range(requests + 20):
        started = time.perf_counter()
        try:
            conn.request("GET", PATHS[i % len(PATHS)])
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except OSError:
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        elapsed = time.perf_counter() - started
        if i >= 20:  # warm-up
            timings.append(elapsed)
            errors += not ok
    timings.sort()

    def ms(q: float) -> float:
        return round(timings[min(len(timings) - 1, int(len(timings) * q))] * 1000, 1)

    return {
        "requests": requests,
        "errors": errors,
        "p50_ms": ms(0.5),
        "p90_ms": ms(0.9),
        "p99_ms": ms(0.99),
        "max_ms": round(timings[-1] * 1000, 1),
    }


def measure(port: int, requests: int) -> dict:
    env = fresh_sqlite("slow-clients")
    prepare(env)
    sh([*TOWNSQUARE, "collectstatic", "--no-input", "-v", "0"], env)
    server = subprocess.Popen(  # noqa: S603 - our own argv
        [*TOWNSQUARE, "serve", "--no-worker", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        quiet = _latencies(port, requests)
        ready, stop = multiprocessing.Event(), multiprocessing.Event()
        reopened = multiprocessing.Value("i", 0)
        slow = multiprocessing.Process(target=_slow_clients, args=(port, ready, stop, reopened))
        slow.start()
        ready.wait()
        try:
            loaded = _latencies(port, requests)
            load_average = os.getloadavg()
        finally:
            stop.set()
            slow.join()
    finally:
        server.terminate()
        server.wait(timeout=60)
    loaded["slow_connections_reopened"] = reopened.value
    return {
        "quiet": quiet,
        "slow_clients": loaded,
        "load_average": [round(x, 1) for x in load_average],
    }


def write_results(results: dict, *, port: int, requests: int) -> None:
    q, s = results["quiet"], results["slow_clients"]

    def row(label: str, r: dict) -> str:
        return (
            f"| {label} | {r['p50_ms']} ms | {r['p90_ms']} ms | **{r['p99_ms']} ms** "
            f"| {r['max_ms']} ms | {r['errors']} of {r['requests']} |"
        )

    lines = [
        START,
        "## Slow clients (issue #23 item 1)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, **while other engineers' test "
        "suites and servers loaded the same two cores** (load average "
        f"{results['load_average'][0]} at the end of the run): the figures are slower than "
        "on a quiet machine would be.",
        "",
        "`townsquare serve`, two web processes with four threads each, SQLite demo database. "
        f"One client asks for `/healthz` and the home page in turn ({requests:,} requests, "
        "one at a time, kept alive).",
        "",
        "| while | median | p90 | p99 | max | errors |",
        "|---|---|---|---|---|---|",
        row("nothing else is connected", q),
        row(f"{SLOW_BODIES} slow bodies and {SLOW_HEADERS} slow headers are open", s),
        "",
        f"Target: p99 under {TARGET_P99_MS} ms while the slow clients are open. Each slow "
        "body declares 100,000 bytes and sends two bytes a second; each slow header sender "
        "sends two bytes a second and never ends its headers. Before ADR 140, sixteen slow "
        "bodies held all eight request threads and every page timed out (issue #23). Both "
        "rows vary with the other engineers' load, which changed between them. Slow connections "
        "the server closed while the pages were measured (each was opened again at once): "
        f"{s['slow_connections_reopened']}.",
        "",
        f"Reproduce with `python bench/slow_clients.py --port {port} --requests {requests}`.",
        "",
        "Raw: `" + json.dumps(results) + "`",
        END,
    ]
    write_section("\n".join(lines), start=START, end=END)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8610)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    results = measure(args.port, args.requests)
    print(json.dumps(results))
    write_results(results, port=args.port, requests=args.requests)


if __name__ == "__main__":
    main()
