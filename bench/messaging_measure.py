"""Messaging measurements, run by bench/messaging.py in processes of their own.

    python bench/messaging_measure.py fanout --subscribers 10000
    python bench/messaging_measure.py queue-emails --count 4000
    python bench/messaging_measure.py sent-rate --count 4000
    python bench/messaging_measure.py webhook-latency --events 40 --url http://127.0.0.1:PORT/

Each prints one JSON line of figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db.models import Max, Min  # noqa: E402

from townsquare.accounts.principal import Principal  # noqa: E402
from townsquare.cases.services import case_create  # noqa: E402
from townsquare.core import clock  # noqa: E402
from townsquare.councils.models import Area, Council  # noqa: E402
from townsquare.councils.selectors import area_point  # noqa: E402
from townsquare.messaging.models import Message, Status, Subscription, SubscriptionKind  # noqa: E402
from townsquare.messaging.outbox import outbox_dispatch  # noqa: E402


def _ward() -> tuple[Council, Area]:
    council = Council.objects.get(slug="bristol")
    area = Area.objects.filter(council=council).order_by("id").first()
    return council, area


def _subscribers(count: int, *, tag: str) -> tuple[Council, Area]:
    council, area = _ward()
    now = clock.now()
    Subscription.objects.bulk_create(
        [
            Subscription(
                kind=SubscriptionKind.AREA,
                council=council,
                area=area,
                email=f"{tag}{i}@example.org",
                created_at=now,
                confirmed_at=now,
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    return council, area


def _report(council: Council, area: Area):
    point = area_point(council=council, area_id=area.id)
    return case_create(
        service_code="pothole",
        council=council,
        actor=Principal.anonymous(),
        point=point,
        values={"depth": "over_10cm", "size": "under_30cm"},
        description="Bench report",
    )


def fanout(args) -> dict:
    """A new report in a ward followed by N subscribers: time until all N are queued."""
    settings.MESSAGING_DISPATCH = "off"  # measured explicitly below
    council, area = _subscribers(args.subscribers, tag="fan")
    outbox_dispatch()  # start the cursor (first run)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        case = _report(council, area)
        planned = outbox_dispatch()
        elapsed = time.perf_counter() - started
        queued = Message.objects.filter(case=case, template="area_alert").count()
        runs.append({"seconds": round(elapsed, 3), "queued": queued, "planned": planned})
    runs.sort(key=lambda r: r["seconds"])
    return {"subscribers": args.subscribers, "runs": runs, "median": runs[1]}


def queue_emails(args) -> dict:
    settings.MESSAGING_DISPATCH = "off"
    council, area = _subscribers(args.count, tag="smtp")
    outbox_dispatch()
    case = _report(council, area)
    outbox_dispatch()
    return {"queued": Message.objects.filter(case=case).count()}


def sent_rate(args) -> dict:
    """How fast the workers sent: messages over the span between first and last sending."""
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        sent = Message.objects.filter(status=Status.SENT).count()
        if sent >= args.count:
            break
        time.sleep(0.5)
    span = Message.objects.filter(status=Status.SENT).aggregate(a=Min("sent_at"), b=Max("sent_at"))
    seconds = (span["b"] - span["a"]).total_seconds()
    other = Message.objects.exclude(status=Status.SENT).count()
    return {
        "sent": sent,
        "not_sent": other,
        "seconds": round(seconds, 2),
        "per_s": round(sent / seconds, 1) if seconds else None,
    }


def webhook_latency(args) -> dict:
    """Cases created one by one; each case.created event's delivery timed at the receiver."""
    arrivals: dict[int, float] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrivals[json.loads(body)["data"]["case_id"]] = time.time()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    council, area = _ward()
    settings.MESSAGING_DISPATCH = "thread"  # as in the web processes
    created: dict[int, float] = {}
    for _ in range(args.events):
        case = _report(council, area)
        created[case.id] = case.created_at.timestamp()
        time.sleep(args.gap)
    deadline = time.monotonic() + 30
    while len(arrivals) < len(created) and time.monotonic() < deadline:
        time.sleep(0.1)
    server.shutdown()
    latencies = sorted(arrivals[c] - created[c] for c in created if c in arrivals)
    return {
        "events": len(created),
        "delivered": len(latencies),
        "median_s": round(statistics.median(latencies), 3),
        "p90_s": round(latencies[int(len(latencies) * 0.9) - 1], 3),
        "max_s": round(latencies[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("fanout")
    p.add_argument("--subscribers", type=int, default=10_000)
    p = sub.add_parser("queue-emails")
    p.add_argument("--count", type=int, default=4000)
    p = sub.add_parser("sent-rate")
    p.add_argument("--count", type=int, default=4000)
    p.add_argument("--timeout", type=float, default=180)
    p = sub.add_parser("webhook-latency")
    p.add_argument("--events", type=int, default=40)
    p.add_argument("--gap", type=float, default=0.5)
    p.add_argument("--port", type=int, default=8327)
    args = parser.parse_args()
    result = {
        "fanout": fanout,
        "queue-emails": queue_emails,
        "sent-rate": sent_rate,
        "webhook-latency": webhook_latency,
    }[args.what](args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
