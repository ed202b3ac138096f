"""`townsquare serve` against slow clients and being stopped (issue 23 items 1 and 7; ADRs 140
and 141), as a real server on this engineer's ports with the test's database.

No figure is asserted: every wait polls for its condition, and its deadline only ends a run that
has already failed. The speed figure (p99 under load) is in bench/slow_clients.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from townsquare.live.tests.server import ROOT, collect_static, server_env, wait_until_answering

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PORTS = range(8601, 8620)
# Generous: these end only a run that has already failed, on a machine loaded by others.
GIVE_UP_SECONDS = 120


@contextlib.contextmanager
def _claimed_port() -> Iterator[int]:
    """A port of PORTS kept for one test's server until the block ends.

    granian listens with SO_REUSEPORT, so a second server on a port that is already listened on
    starts without complaint and the kernel shares the connections between the two. Two test
    processes (`pytest -n 2`) could each find the same port free before either server had bound
    it, and one test's client was then answered, or hung up on, by the other test's server. A
    lock per port, held until the server has stopped, keeps a port to one test process; the
    bind probe still skips ports that anything else holds.
    """
    for port in PORTS:
        lock_path = Path(tempfile.gettempdir()) / f"townsquare-test-port-{port}.lock"
        with lock_path.open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # another test process is serving on it
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            yield port
            return
    raise RuntimeError("none of this test's ports is free")


def _port_is_free(port: int) -> bool:
    """Free for a server to listen on again (which, like any server, reuses the address of
    connections that are only closing)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name is in parentheses and may hold spaces; the fields follow it.
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    return parents


def _descendants(pid: int) -> set[int]:
    parents = _parents()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    return pids & set(_parents())


def _poll_until(condition, what: str) -> None:
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.1)


@contextlib.contextmanager
def serving(*, worker: bool = False, **env: str) -> Iterator[tuple[str, int, subprocess.Popen]]:
    environment = server_env(**env)
    collect_static(environment)  # pages need the hashed static files
    with _claimed_port() as port, tempfile.TemporaryFile() as log:
        argv = [sys.executable, "-m", "townsquare.cli", "serve", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--workers", "2"] + ([] if worker else ["--no-worker"])
        process = subprocess.Popen(  # noqa: S603 - our own argv
            argv,
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        started: set[int] = set()
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(process, base)
            started = _descendants(process.pid)
            yield base, port, process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=GIVE_UP_SECONDS)
            for pid in _alive(started | {process.pid}):  # only after a failure
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.wait()


def _slow_body(port: int, path: str = "/") -> socket.socket:
    """A client that declares a 100,000-byte form and sends two bytes of it."""
    client = socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP_SECONDS)
    client.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\na=".encode()
    )
    return client


def _slow_header(port: int) -> socket.socket:
    """A client that never finishes its request's headers."""
    client = socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP_SECONDS)
    client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
    return client


def _still_open(client: socket.socket) -> bool:
    client.setblocking(False)  # a socket with a timeout would wait for something to read
    try:
        return client.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True  # nothing to read and not closed: still waiting for the body
    except OSError:
        return False


def test_pages_answer_while_hundreds_of_slow_clients_hold_connections():
    # A deadline far beyond the test, so the slow bodies stay open while the pages are asked
    # for: what keeps the site up is that they hold no thread, not that they are cut off.
    with serving(REQUEST_BODY_TIMEOUT_SECONDS="3600") as (base, port, _):
        slow = [_slow_body(port) for _ in range(200)] + [_slow_header(port) for _ in range(200)]
        try:
            with requests.Session() as session:
                for _ in range(20):  # more requests than the server has threads
                    assert session.get(f"{base}/healthz", timeout=60).status_code == 200
                    assert session.get(f"{base}/", timeout=60).status_code == 200
            assert all(_still_open(client) for client in slow[:200])
        finally:
            for client in slow:
                client.close()


def test_a_body_over_the_limit_is_refused_by_the_real_server():
    with serving(REQUEST_MAX_BODY_BYTES="1000") as (base, _, _):
        response = requests.post(f"{base}/api/v1/cases", data=b"x" * 2000, timeout=60)
        assert response.status_code == 413
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "too_large"
        page = requests.post(f"{base}/", data=b"x" * 2000, timeout=60)
        assert page.status_code == 413 and "rhy fawr" in page.text


def test_a_body_that_stops_arriving_gets_a_408_from_the_real_server():
    with serving(REQUEST_BODY_TIMEOUT_SECONDS="1") as (_, port, _):
        client = _slow_body(port, "/open311/v2/requests.json")
        with client:
            answer = b""
            while chunk := client.recv(65536):  # the server answers, then closes
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 408")
        assert b"urn:townsquare:problem:request_timeout" in answer


# A static file of a few megabytes, sent in many parts by a view thread.
LARGE_FILE = "/static/ninja/redoc.standalone.js.map"


def _unread_download(port: int) -> socket.socket:
    """A client that asks for a large file and reads none of it: the thread sending it waits
    for the client, as threads did when stops left workers behind."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.settimeout(GIVE_UP_SECONDS)
    client.connect(("127.0.0.1", port))
    client.sendall(f"GET {LARGE_FILE} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return client


def _response_started(client: socket.socket) -> bool:
    client.setblocking(False)  # a socket with a timeout would wait for something to read
    try:
        return client.recv(16, socket.MSG_PEEK).startswith(b"HTTP/1.1 200")
    except BlockingIOError:
        return False


def test_a_stop_ends_every_process_it_started_whatever_is_in_flight():
    with serving(worker=True) as (base, port, process):
        started = _descendants(process.pid)
        # granian, its two workers and the background worker (and whatever they started)
        assert len(started) >= 4

        answered = threading.Semaphore(0)

        def load() -> None:
            with requests.Session() as session:
                while True:
                    try:
                        session.get(f"{base}/", timeout=GIVE_UP_SECONDS)
                        answered.release()
                    except requests.RequestException:
                        return  # the server has gone: the point of the test

        in_flight = [_slow_body(port) for _ in range(50)]
        with ThreadPoolExecutor(4) as pool:
            for _ in range(4):
                pool.submit(load)
            for _ in range(16):  # pages are being answered under this load
                assert answered.acquire(timeout=GIVE_UP_SECONDS)
            # More than the server's threads (two processes of four), each held sending.
            downloads = [_unread_download(port) for _ in range(12)]
            in_flight += downloads
            _poll_until(lambda: sum(map(_response_started, downloads)) >= 4, "downloads under way")
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=GIVE_UP_SECONDS)

        _poll_until(lambda: not _alive(started), f"processes left: {_alive(started)}")
        _poll_until(lambda: _port_is_free(port), f"port {port} still held")
        for client in in_flight:
            client.close()
