"""Live streams against a real ASGI server (granian, the process `townsquare serve` runs),
reading the database this test writes: events arrive in order, a reconnect with Last-Event-ID
misses nothing, internal events stay off public streams, staff streams need a member's session,
and two server processes both deliver a change made elsewhere (on PostgreSQL through NOTIFY)."""

from __future__ import annotations

import json
import queue
import threading
import time

import pytest
import requests
from django.conf import settings

from townsquare.accounts.principal import Principal
from townsquare.cases.services import (
    case_add_internal_note,
    case_create,
    case_post_public_update,
    case_transition,
)
from townsquare.geo.points import Point
from townsquare.live.tests.server import asgi_server

pytestmark = pytest.mark.django_db(transaction=True)


class Listener:
    """Reads an SSE stream on a thread; `messages` receives (id, data) pairs."""

    def __init__(self, url: str, *, last_event_id: int | None = None, cookies=None) -> None:
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.response = requests.get(
            url, headers=headers, stream=True, timeout=120, cookies=cookies
        )
        self.messages: queue.Queue[tuple[int, dict]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event_id, data = None, None
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and data is not None:
                    self.messages.put((event_id, data))
                    event_id, data = None, None
        except (requests.RequestException, AttributeError):
            pass

    def take(self, n: int, timeout: float = 120) -> list[tuple[int, dict]]:
        # The timeout only ends a test that has already failed; a loaded machine can be slow.
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            got.append(self.messages.get(timeout=max(0.01, deadline - time.monotonic())))
        return got

    def close(self) -> None:
        self.response.close()


@pytest.fixture
def report(council):
    return case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
        address="Outside 4 Mill Lane",
    )


def test_events_arrive_in_order_and_a_reconnect_misses_nothing(report, agent):
    with asgi_server() as base:
        url = f"{base}/live/cases/{report.reference}"
        first = Listener(url)
        ((_ready_id, ready),) = first.take(1)
        assert ready["kind"] == "ready"
        case_post_public_update(case=report, actor=agent, message="Booked for Tuesday")
        case_add_internal_note(case=report, actor=agent, note="Secret staff note")
        case_transition(case=report, to_state="in_progress", actor=agent)
        got = first.take(2)
        assert [d["kind"] for _, d in got] == ["case.public_update", "case.transitioned"]
        assert got[0][0] < got[1][0]
        assert all(d["reference"] == report.reference for _, d in got)
        assert "Secret" not in json.dumps(got) and "Booked" not in json.dumps(got)
        first.close()
        # While nobody listens, two more public changes...
        case_post_public_update(case=report, actor=agent, message="Crew on the way")
        case_transition(case=report, to_state="fixed", actor=agent, message="Filled in")
        # ...then the browser reconnects, sending the last id it saw.
        second = Listener(url, last_event_id=got[-1][0])
        missed = second.take(2)
        assert [d["kind"] for _, d in missed] == ["case.public_update", "case.transitioned"]
        assert missed[1][1]["state"] == "fixed"
        assert got[-1][0] < missed[0][0] < missed[1][0]
        assert second.messages.empty()
        second.close()


def test_unknown_case_and_staff_streams_refuse_strangers(report, other_council):
    with asgi_server() as base:
        assert requests.get(f"{base}/live/cases/TST-99-999999", timeout=5).status_code == 404
        staff = requests.get(f"{base}/live/staff/councils/testshire/queue", timeout=5)
        assert staff.status_code == 401
        assert (
            requests.get(f"{base}/live/staff/cases/{report.reference}", timeout=5).status_code
            == 401
        )


def _signed_in_cookies(user, *, second_factor: bool = True) -> dict:
    """A staff session made through the sign-in pages (password, then the TOTP code)."""
    import pyotp
    from django.test import Client

    from tests.factories import STAFF_PASSWORD, STAFF_TOTP_SECRET

    client = Client()
    client.post("/staff/sign-in", {"email": user.email, "password": STAFF_PASSWORD})
    if second_factor:
        response = client.post("/staff/sign-in/code", {"code": pyotp.TOTP(STAFF_TOTP_SECRET).now()})
        assert response.status_code == 302
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def test_staff_streams_carry_internal_events_of_their_council_only(report, council, other_council):
    from tests import factories

    user, agent = factories.make_staff_signed_in(council, "agent")
    outsider, _ = factories.make_staff_signed_in(other_council, "agent", email="out@otherton.test")
    with asgi_server() as base:
        halfway = _signed_in_cookies(user, second_factor=False)
        assert (
            requests.get(
                f"{base}/live/staff/councils/testshire/queue", cookies=halfway, timeout=5
            ).status_code
            == 401
        )
        cookies = _signed_in_cookies(user)
        case_stream = Listener(f"{base}/live/staff/cases/{report.reference}", cookies=cookies)
        queue_stream = Listener(f"{base}/live/staff/councils/testshire/queue", cookies=cookies)
        case_stream.take(1), queue_stream.take(1)  # ready
        case_add_internal_note(case=report, actor=agent, note="Secret staff note")
        ((_, note),) = case_stream.take(1)
        assert note["kind"] == "case.internal_note" and "Secret" not in json.dumps(note)
        ((_, counted),) = queue_stream.take(1)
        assert counted["kind"] == "case.internal_note"
        other = _signed_in_cookies(outsider)
        assert (
            requests.get(
                f"{base}/live/staff/councils/testshire/queue", cookies=other, timeout=5
            ).status_code
            == 404
        )
        assert (
            requests.get(
                f"{base}/live/staff/cases/{report.reference}", cookies=other, timeout=5
            ).status_code
            == 404
        )
        case_stream.close(), queue_stream.close()


def test_two_server_processes_both_deliver_a_change(report, agent):
    with asgi_server() as one, asgi_server() as two:
        listeners = [Listener(f"{base}/live/cases/{report.reference}") for base in (one, two)]
        for listener in listeners:
            listener.take(1)
        case_transition(case=report, to_state="in_progress", actor=agent)
        for listener in listeners:
            ((_, data),) = listener.take(1)
            assert data["kind"] == "case.transitioned"
        for listener in listeners:
            listener.close()


def test_a_wsgi_server_answers_no_content_instead_of_holding_a_thread(report, client):
    # Django under WSGI reads an async stream to its end before sending anything: an endless
    # stream would hold a thread for ever (and hang the test live server at exit).
    response = client.get(f"/live/cases/{report.reference}")
    assert response.status_code == 204
