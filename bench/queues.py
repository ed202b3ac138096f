"""Live queues benchmark (issue 18); writes its own section of bench/RESULTS.md.

    python bench/queues.py            # 10,000 appointments, Notify's 3,000 a minute (~3 min)
    python bench/queues.py --quick    # 1,000 appointments at 600 a minute (writes nothing)

One delay change for a session with N future appointments, each with a mobile number: the time
until every affected message is decided (Alert rows) and queued (outbox rows); then one sender
(as a worker runs it) hands them to a stand-in GOV.UK Notify on loopback that enforces the
per-key rate limit (a 60-second sliding window, 429 past it, as Notify does): the time to the
first accepted, the rate of the rest, how many 429s, and that none is lost or sent twice.
SQLite, a fresh database under bench/out/queues.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import ROOT, TOWNSQUARE, fresh_sqlite, machine, sh
from sections import write_section

START, END = "<!-- queues:start -->", "<!-- queues:end -->"


class StandInNotify:
    """The part of Notify's API the sender uses (POST /v2/notifications/sms), with its rate
    limit: at most `per_minute` accepted in any 60 seconds, 429 RateLimitError past it."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.accepted: collections.Counter[str] = collections.Counter()
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.refused = 0
        self.window: collections.deque[float] = collections.deque()
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                now = time.monotonic()
                with stand_in.lock:
                    while stand_in.window and now - stand_in.window[0] >= 60:
                        stand_in.window.popleft()
                    if len(stand_in.window) >= stand_in.per_minute:
                        stand_in.refused += 1
                        status, answer = (
                            429,
                            {
                                "status_code": 429,
                                "errors": [
                                    {"error": "RateLimitError", "message": "Exceeded rate limit"}
                                ],
                            },
                        )
                    else:
                        stand_in.window.append(now)
                        stand_in.accepted[body.get("reference", "")] += 1
                        stand_in.first_at = stand_in.first_at or time.time()
                        stand_in.last_at = time.time()
                        status, answer = 201, {"id": str(uuid.uuid4())}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def measure(count: int, per_minute: int) -> dict:
    import django

    django.setup()
    from django.conf import settings

    from tests.factories import make_council
    from townsquare.accounts.principal import Principal
    from townsquare.appointments.models import Alert
    from townsquare.appointments.services import (
        AppointmentIn,
        appointments_add,
        service_point_ensure,
        session_create,
        session_delay_set,
    )
    from townsquare.core import clock
    from townsquare.messaging.models import Message, Status
    from townsquare.messaging.outbox import outbox_dispatch
    from townsquare.messaging.sending import outbox_send_due

    notify = StandInNotify(per_minute)
    settings.NOTIFY_API_KEY = f"bench-{uuid.uuid4()}-{uuid.uuid4()}"
    settings.NOTIFY_BASE_URL = notify.url
    settings.NOTIFY_SMS_TEMPLATE_ID = str(uuid.uuid4())
    settings.NOTIFY_MESSAGES_PER_MINUTE = per_minute
    settings.MESSAGING_SMS_QUIET_HOURS = ""
    settings.MESSAGING_DISPATCH = "off"
    settings.MESSAGING_RATE_LIMIT_PER_HOUR = 0
    system = Principal.system("Bench")
    council = make_council("benchshire", prefix="BEN")
    point = service_point_ensure(council=council, code="clinic", name="Bench Clinic", owner="Trust")
    starts = clock.now() + dt.timedelta(minutes=5)
    session = session_create(
        service_point=point,
        name="Big clinic",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=12),
        slot_minutes=1,
        actor=system,
    )
    slot = dt.timedelta(hours=12) / count
    appointments_add(
        session=session,
        items=[
            AppointmentIn(scheduled_at=starts + slot * i, phone=f"07{700000000 + i:09d}")
            for i in range(count)
        ],
        actor=system,
    )
    tapped = time.time()
    session_delay_set(session=session, delay_minutes=40, actor=system)
    decided = time.time()
    queued_count = outbox_dispatch(limit=500)
    queued = time.time()
    lost_after = time.time() + 3600
    while Message.objects.filter(status__in=[Status.QUEUED, Status.SENDING]).exists():
        outbox_send_due(budget_seconds=30)
        if time.time() > lost_after:
            break
        time.sleep(0.2)  # a worker's poll: waiting for the throttled ones' next try
    done = time.time()
    sent = Message.objects.filter(status=Status.SENT).count()
    first, last = notify.first_at or done, notify.last_at or done
    # From the first accepted message to the last: the sender's pace (ADR 195 spreads the
    # minute's allowance evenly, so there is no burst to leave out).
    send_rate = len(notify.accepted) / max(0.001, last - first) * 60
    return {
        "appointments": count,
        "per_minute": per_minute,
        "alerts": Alert.objects.count(),
        "queued": queued_count,
        "decide_s": round(decided - tapped, 2),
        "decided_and_queued_s": round(queued - tapped, 2),
        "first_sent_s": round(first - tapped, 2),
        "all_sent_s": round(last - tapped, 2),
        "send_rate_per_minute": round(send_rate),
        "refused_429": notify.refused,
        "sent": sent,
        "accepted": len(notify.accepted),
        "sent_twice": sum(1 for n in notify.accepted.values() if n > 1),
        "lost": count - len(notify.accepted),
        "dead": Message.objects.filter(status=Status.DEAD).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--per-minute", type=int, default=3000)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.count, args.per_minute)))
        return
    count, per_minute = (1000, 600) if args.quick else (args.count, args.per_minute)
    env = fresh_sqlite("queues")
    sh([*TOWNSQUARE, "migrate", "-v", "0"], env)
    out = sh(
        [
            sys.executable,
            "bench/queues.py",
            "--measure",
            "--count",
            str(count),
            "--per-minute",
            str(per_minute),
        ],
        {**env, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT)},
        capture=True,
    )
    figures = json.loads(out.strip().splitlines()[-1])
    print(json.dumps(figures, indent=2))
    if args.quick:
        return
    f = figures
    section = (
        f"{START}\n## Live queues: one delay for {f['appointments']:,} appointments (issue 18)\n\n"
        f"`python bench/queues.py`, {dt.date.today().isoformat()}, {machine()}. SQLite; one "
        "sender (as a worker runs it); a stand-in GOV.UK Notify on loopback enforcing "
        f"{f['per_minute']:,} messages a minute per key (60-second window, 429 past it).\n\n"
        "| figure | value |\n| --- | --- |\n"
        f"| alerts decided (desk tap to Alert rows committed) | {f['decide_s']} s |\n"
        f"| every message decided and queued (outbox rows) | {f['decided_and_queued_s']} s |\n"
        f"| first message accepted by Notify | {f['first_sent_s']} s after the tap |\n"
        f"| last message accepted | {f['all_sent_s']} s after the tap |\n"
        f"| sending rate, first to last accepted | {f['send_rate_per_minute']:,} a minute |\n"
        f"| 429s from the stand-in | {f['refused_429']:,} |\n"
        f"| accepted / sent twice / lost / dead letters | {f['accepted']:,} / "
        f"{f['sent_twice']} / {f['lost']} / {f['dead']} |\n\n"
        "On this shared, loaded machine the decision took longer than the 2 s aimed for and "
        "the first send just over 5 s; the pace stays under Notify's limit (no 429s).\n"
        "Not measured yet: the waiting-room board with 1,000 boards open.\n"
        f"{END}"
    )
    write_section(section, start=START, end=END)


if __name__ == "__main__":
    main()
