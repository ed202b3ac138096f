"""Messaging benchmarks; writes its own section of bench/RESULTS.md.

    python bench/messaging.py            # SQLite and PostgreSQL (about three minutes)
    python bench/messaging.py --quick    # small sizes, to check it runs (writes nothing)
    python bench/messaging.py --postgres-only --only smtp   # one figure; the rest are kept

1. Fan-out: one new report in a ward with 10,000 confirmed area subscribers; the time from
   `case_create` until all 10,000 messages are in the outbox (median of three).
2. SMTP: 4,000 queued emails sent by two `townsquare worker` processes to a local aiosmtpd
   server; emails per second between the first and the last send.
3. Event to webhook: cases created one by one (the dispatcher thread, as in the web processes),
   one `townsquare worker` with its default 1 s poll, a receiver on loopback; median latency from
   the event's commit to the delivery arriving.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (
    OUT,
    ROOT,
    TOWNSQUARE,
    fresh_postgres,
    fresh_sqlite,
    machine,
    prepare,
    settle,
    sh,
)

START, END = "<!-- messaging:start -->", "<!-- messaging:end -->"
SMTP_PORT = 8326
HOOK_PORT = 8327


def measure(env: dict[str, str], *args: str) -> dict:
    out = sh([sys.executable, "bench/messaging_measure.py", *args], env, capture=True)
    return json.loads(out.strip().splitlines()[-1])


def workers(env: dict[str, str], count: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(  # noqa: S603
            [*TOWNSQUARE, "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        p.terminate()
    for p in processes:
        p.wait(timeout=30)


def smtp_sink(env: dict[str, str]) -> subprocess.Popen:
    code = (
        "import time\nfrom aiosmtpd.controller import Controller\n"
        "class Sink:\n    async def handle_DATA(self, server, session, envelope):\n"
        "        return '250 OK'\n"
        f"c = Controller(Sink(), hostname='127.0.0.1', port={SMTP_PORT}); c.start()\n"
        "time.sleep(10**6)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], env=env)  # noqa: S603
    time.sleep(1.0)
    return process


FIGURES = ("fanout", "smtp", "webhook")


def run_database(
    label: str, env: dict[str, str], *, quick: bool, only: tuple[str, ...] = FIGURES
) -> dict:
    subscribers = 1000 if quick else 10_000
    emails = 500 if quick else 4000
    results: dict = {}
    env = {
        **env,
        "EMAIL_PORT": str(SMTP_PORT),
        "EMAIL_HOST": "127.0.0.1",
        "MESSAGING_WEBHOOK_ALLOW_LOOPBACK": "true",
        "MESSAGING_SENDERS": "2",
        "MESSAGING_RATE_LIMIT_PER_HOUR": "0",
        "NOTIFY_API_KEY": "",
        "MESSAGING_DISPATCH": "off",
        "LOG_LEVEL": "WARNING",
    }
    if "fanout" in only:
        prepare(env)
        print(f"{label}: fan-out to {subscribers} area subscribers")
        results["fanout"] = {
            **measure(env, "fanout", "--subscribers", str(subscribers)),
            "load": load(),
        }
    if "smtp" in only:
        results["smtp"] = smtp_rate(label, env, emails)
    if "webhook" in only:
        results["webhook"] = webhook_latency(label, env, quick=quick)
    return results


def load() -> str:
    """The load average (1, 5 and 15 minutes) as a figure was taken: the cores are shared."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def smtp_rate(label: str, env: dict[str, str], emails: int) -> dict:
    print(f"{label}: {emails} emails to a local SMTP server with two workers")
    env2 = (
        fresh_sqlite("messaging-smtp")
        if label == "SQLite"
        else fresh_postgres("townsquare_bench_msg_smtp")
    )
    env2 = {
        **env2,
        **{k: v for k, v in env.items() if k not in ("TOWNSQUARE_VAR_DIR", "DATABASE_URL")},
    }
    prepare(env2)
    measure(env2, "queue-emails", "--count", str(emails))
    settle(env2)
    sink = smtp_sink(env2)
    procs = workers(env2, 2)
    # The queued tasks were enqueued before the workers started; they start at once.
    try:
        rate = measure(env2, "sent-rate", "--count", str(emails))
    finally:
        stop(procs)
        sink.terminate()
        sink.wait()
    return {**rate, "load": load()}


def webhook_latency(label: str, env: dict[str, str], *, quick: bool) -> dict:
    print(f"{label}: event to webhook on loopback")
    env3 = (
        fresh_sqlite("messaging-hook")
        if label == "SQLite"
        else fresh_postgres("townsquare_bench_msg_hook")
    )
    env3 = {
        **env3,
        **{k: v for k, v in env.items() if k not in ("TOWNSQUARE_VAR_DIR", "DATABASE_URL")},
    }
    prepare(env3)
    sh(
        [
            *TOWNSQUARE,
            "webhooks",
            "add",
            "bristol",
            f"http://127.0.0.1:{HOOK_PORT}/",
            "--events",
            "case.created",
        ],
        env3,
        capture=True,
    )
    procs = workers(env3, 1)
    try:
        time.sleep(2)
        hook = measure(
            env3, "webhook-latency", "--events", "10" if quick else "40", "--port", str(HOOK_PORT)
        )
    finally:
        stop(procs)
    return {**hook, "load": load()}


NOTES = "<!-- messaging:notes (kept when the section is rewritten) -->"


def write(results: dict[str, dict]) -> None:
    rows_fan, rows_smtp, rows_hook = [], [], []
    for label, r in results.items():
        if f := r.get("fanout"):
            runs = ", ".join(f"{x['seconds']:.2f}" for x in f["runs"])
            rows_fan.append(
                f"| {label} | under 2 s | **{f['median']['seconds']:.2f} s** for "
                f"{f['median']['queued']:,} messages (runs: {runs} s) | "
                f"{f.get('load', '?')} |"
            )
        if s := r.get("smtp"):
            rows_smtp.append(
                f"| {label} | at least 200 emails/s | **{s['per_s']:.0f} emails/s** "
                f"({s['sent']:,} in {s['seconds']} s, {s['not_sent']} not sent) | "
                f"{s.get('load', '?')} |"
            )
        if h := r.get("webhook"):
            rows_hook.append(
                f"| {label} | median under 1 s | **median {h['median_s']:.2f} s**, "
                f"p90 {h['p90_s']:.2f} s, max {h['max_s']:.2f} s "
                f"({h['delivered']}/{h['events']} delivered) | "
                f"{h.get('load', '?')} |"
            )
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    old = re.search(re.escape(START) + ".*?" + re.escape(END), text, flags=re.S)
    notes = ""
    if old and NOTES in old.group(0):
        notes = old.group(0).split(NOTES, 1)[1].removesuffix(END).strip("\n")
    dates = sorted({r[k]["date"] for r in results.values() for k in r if "date" in r[k]})
    when = (
        " to ".join(dict.fromkeys([dates[0], dates[-1]])) if dates else dt.date.today().isoformat()
    )
    section = "\n".join(
        [
            START,
            "## Messaging",
            "",
            f"Measured {when} on {machine()}. Reproduce with "
            "`python bench/messaging.py` (its docstring says how each figure is taken). The last "
            "column is the load average (1, 5, 15 min) when the figure was taken. It includes the "
            "benchmark's own processes (workers, SMTP sink, database: about 2 to 3 on their own); "
            "well above that, other work was sharing the two cores.",
            "",
            "| one report in a ward followed by 10,000 subscribers: all messages queued | target | "
            "measured | load |",
            "|---|---|---|---|",
            *rows_fan,
            "",
            "| sending to a local SMTP server, two worker processes | target | measured | load |",
            "|---|---|---|---|",
            *rows_smtp,
            "",
            "| event to webhook delivery on loopback | target | measured | load |",
            "|---|---|---|---|",
            *rows_hook,
            "",
            "The webhook latency is mostly the worker's poll of the task queue (1 s by default, so "
            "half a second on average); the outbox write after the commit takes milliseconds.",
            "",
            NOTES,
            *([notes] if notes else []),
            END,
        ]
    )
    if old:
        text = text[: old.start()] + section + text[old.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument(
        "--only",
        choices=FIGURES,
        action="append",
        help="measure just this figure (repeatable); the others are kept from "
        "bench/out/messaging.json",
    )
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="print the figures; leave RESULTS.md and messaging.json alone",
    )
    args = parser.parse_args()
    only = tuple(args.only or FIGURES)
    OUT.mkdir(parents=True, exist_ok=True)
    previous = OUT / "messaging.json"
    results = json.loads(previous.read_text()) if previous.exists() else {}
    measured: dict[str, dict] = {}
    if not args.postgres_only:
        env = fresh_sqlite("messaging")
        measured["SQLite"] = run_database("SQLite", env, quick=args.quick, only=only)
    if not args.sqlite_only:
        pg = fresh_postgres("townsquare_bench_msg")
        if pg is not None:
            measured["PostgreSQL"] = run_database("PostgreSQL", pg, quick=args.quick, only=only)
    today = dt.date.today().isoformat()
    for label, figures in measured.items():
        for name, figure in figures.items():
            results.setdefault(label, {})[name] = {**figure, "date": today}
    print(json.dumps(measured, indent=2))
    if args.no_write or args.quick:
        return
    results = {k: results[k] for k in ("SQLite", "PostgreSQL") if k in results}
    (OUT / "messaging.json").write_text(json.dumps(results, indent=2))
    write(results)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
