"""Reads that may lag come from a real PostgreSQL streaming replica (issue #22, ADR 231).

A primary and a streaming standby of its own (initdb and pg_basebackup on free ports, in a
temporary folder), a Townsquare server pointed at both: a search reads from the replica (a case
written while the replica's replay is paused is not in it), the person who wrote reads it back
from the primary (the read-your-writes cookie), and with the replica stopped every read falls
back to the primary while /healthz says so.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from townsquare.live.tests.server import ROOT, _free_port, wait_until_answering

pytestmark = pytest.mark.slow

BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), "")


# PostgreSQL's server programs refuse to run as root: as root, they run as `postgres`.
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(*args: str, env: dict | None = None) -> str:
    done = subprocess.run(args, capture_output=True, text=True, env=env)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")
    return done.stdout


class Cluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port

    def start(self) -> None:
        _run(*AS_POSTGRES, f"{BIN}/pg_ctl", "-D", str(self.folder), "-w", "-t", "300", "-l",
             str(self.folder / "log"), "start")  # fmt: skip

    def stop(self) -> None:
        _run(*AS_POSTGRES, f"{BIN}/pg_ctl", "-D", str(self.folder), "-w", "-m", "fast", "stop")

    def sql(self, statement: str, database: str = "postgres") -> str:
        return _run(f"{BIN}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                    "-d", database, "-Atc", statement)  # fmt: skip

    def url(self, database: str = "townsquare") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


def _settings(folder: Path, port: int) -> None:
    with (folder / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
            "fsync = off\nfull_page_writes = off\nwal_level = replica\nmax_wal_senders = 4\n"
            "hot_standby = on\nshared_buffers = 16MB\n"
        )


@pytest.fixture(scope="module")
def primary_and_replica() -> Iterator[tuple[Cluster, Cluster]]:
    if not BIN or (AS_POSTGRES and not shutil.which("runuser")):
        pytest.skip("PostgreSQL's server programs are not installed")
    # Not under pytest's tmp_path: its folders are private to root, and the clusters' owner
    # must reach them.
    folder = Path(tempfile.mkdtemp(prefix="townsquare-replication-"))
    if AS_POSTGRES:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    primary = Cluster(folder / "primary", _free_port())
    replica = Cluster(folder / "replica", _free_port())
    _run(*AS_POSTGRES, f"{BIN}/initdb", "-D", str(primary.folder), "-U", "postgres",
         "--auth=trust", "-E", "UTF8", "--no-sync")  # fmt: skip
    _settings(primary.folder, primary.port)
    with (primary.folder / "pg_hba.conf").open("a") as hba:
        hba.write("host replication postgres 127.0.0.1/32 trust\n")
    primary.start()
    try:
        primary.sql("CREATE DATABASE townsquare")
        env = {**os.environ, "DATABASE_URL": primary.url(), "PYTHONPATH": str(ROOT)}
        env.pop("DATABASE_REPLICA_URLS", None)
        _run(sys.executable, "-m", "townsquare.cli", "migrate", "--no-input", "-v0", env=env)
        _run(*AS_POSTGRES, f"{BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U",
             "postgres", "-D", str(replica.folder), "-R", "-X", "stream")  # fmt: skip
        with (replica.folder / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {replica.port}\n")
        replica.start()
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            with contextlib.suppress(RuntimeError):
                cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


_SETUP = """
import django
django.setup()
from tests import factories
from townsquare.accounts.services import api_key_create
from townsquare.core.actors import Actor
council = factories.make_council("testshire", prefix="TST", bounds=(-2.0, 51.0, -1.0, 52.0))
print(api_key_create(council_id=council.id, name="Replica test", actor=Actor.system("tests"),
                     scopes=["read_public", "read_personal", "write_cases"])[1])
"""


def test_lagging_reads_come_from_the_replica_and_fall_back(primary_and_replica):
    primary, replica = primary_and_replica
    env = {
        **os.environ,
        "DATABASE_URL": primary.url(),
        "DATABASE_REPLICA_URLS": replica.url(),
        # Replay is paused below for as long as the test needs: what matters here is where
        # reads go, not how far behind is too far.
        "DATABASE_REPLICA_MAX_LAG_SECONDS": "86400",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "MESSAGING_DISPATCH": "off",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    key = _run(sys.executable, "-c", _SETUP, env={**env, "DATABASE_REPLICA_URLS": ""}).split()[-1]
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own argv
        [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--no-ws", "config.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    try:
        wait_until_answering(server, base)
        health = requests.get(f"{base}/healthz", timeout=60).json()
        assert health["replicas"] == [
            {"alias": "replica1", "lag_seconds": health["replicas"][0]["lag_seconds"],
             "in_use": True}
        ]  # fmt: skip

        replica.sql("SELECT pg_wal_replay_pause()")
        made = api.post(
            f"{base}/api/v1/cases",
            json={"service_code": "pothole", "lat": 51.5, "lng": -1.5, "values": {"depth": "deep"}},
            timeout=60,
        )
        assert made.status_code == 201, made.text
        reference = made.json()["reference"]
        cookie = made.cookies.get("ts_primary_until")
        assert cookie, "a write marks its writer to read from the primary"

        def found(session: requests.Session) -> list[str]:
            answer = session.get(f"{base}/api/v1/cases?status=all", timeout=60)
            assert answer.status_code == 200, answer.text
            return [case["reference"] for case in answer.json()["items"]]

        stranger = requests.Session()
        stranger.headers["Authorization"] = f"Bearer {key}"
        assert reference not in found(stranger)  # the paused replica has not replayed it
        assert reference in found(api)  # its writer reads from the primary (the cookie)
        # The one case, read by reference, always comes from the primary.
        assert stranger.get(f"{base}/api/v1/cases/{reference}", timeout=60).status_code == 200

        replica.stop()
        assert reference in found(stranger)  # the replica is down: the primary answers
        after = requests.get(f"{base}/healthz", timeout=60).json()
        assert after["status"] == "ok"
        assert after["replicas"] == [{"alias": "replica1", "lag_seconds": None, "in_use": False}]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
