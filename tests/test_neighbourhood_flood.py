"""A flood of posts from one account stops at the person's limit with 429 and Retry-After,
however the requests are shared between two server processes (issue 17, ADR 182): the token
bucket is a database row, so both processes spend from the same one."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys

import pytest
import requests
from django.test import Client

from townsquare.accounts.services import user_ensure
from townsquare.councils.selectors import areas_of_council
from townsquare.live.tests.server import (
    ROOT,
    _free_port,
    collect_static,
    server_env,
    wait_until_answering,
)
from townsquare.neighbourhoods.models import Neighbour
from townsquare.neighbourhoods.services import thread_start

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LIMIT = 10


@contextlib.contextmanager
def _server(env: dict[str, str]):
    port = _free_port()
    argv = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--workers", "1", "--no-ws", "config.asgi:application"]
    process = subprocess.Popen(  # noqa: S603 - our own argv
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(process, base)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def test_fifty_posts_in_a_minute_stop_at_the_limit_across_two_processes(council):
    user = user_ensure(email="flood@example.org")
    thread = thread_start(
        user=user_ensure(email="starter@example.org"),
        principal=_as(user_ensure(email="starter@example.org")),
        area=areas_of_council(council_id=council.id)[0],
        street=None,
        title="Flooded",
        body="The first post",
        display_name="Starter",
    )
    Neighbour.objects.filter(user__email="starter@example.org").update(trusted=True)
    django_client = Client()
    django_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = requests.Session()
    session.cookies.set("sessionid", django_client.cookies["sessionid"].value)
    env = server_env(
        NEIGHBOURHOOD_POSTS_PER_HOUR=str(LIMIT),
        # The per-address limit of every public write is tested elsewhere; here only the
        # person's own bucket may answer.
        PUBLIC_WRITES_PER_MINUTE="100000",
    )
    collect_static(env)
    path = f"/neighbourhoods/thread/{thread.id}"
    with _server(env) as first, _server(env) as second:
        page = session.get(first + path, timeout=60).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        answers = []
        for n in range(50):
            base = (first, second)[n % 2]
            response = session.post(
                f"{base}{path}/reply",
                data={"csrfmiddlewaretoken": token, "body": f"Flood {n}", "display_name": "F"},
                allow_redirects=False,
                timeout=60,
            )
            answers.append(response)
    statuses = [r.status_code for r in answers]
    assert statuses[:LIMIT] == [303] * LIMIT, statuses
    refused = [r for r in answers if r.status_code == 429]
    # The bucket refills at LIMIT an hour: on a very slow machine one more may have come.
    assert len(refused) >= 50 - LIMIT - 1, statuses
    assert set(statuses) <= {303, 429}
    assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)
    # Both processes refused: the limit is not per process.
    assert {r.url.split("/neighbourhoods")[0] for r in refused} == {first, second}


def _as(user):
    from townsquare.accounts.principal import Principal

    return Principal(user_id=user.pk, label=user.email)
