"""townsquare pay_standin --port 9020 — the stand-in GOV.UK Pay for the demo (ADR 162).

Serves townsquare/payments/standin.py on 127.0.0.1, sending each demo council's webhooks to
this deployment's PUBLIC_URL, signed with the demo's secret. For the demo and development only:
it takes any API key and any "card".
"""

from __future__ import annotations

import signal
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from townsquare.demo.loader import demo_pay_webhooks
from townsquare.payments.standin import main


class Command(BaseCommand):
    help = "Run the stand-in GOV.UK Pay (hosted payment page, API, webhooks) until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9020)

    def handle(self, *args, host: str, port: int, **options) -> None:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        argv = ["--host", host, "--port", str(port)]
        for key, url, secret in demo_pay_webhooks(settings.PUBLIC_URL):
            argv += ["--webhook", key, url, secret]
        main(argv)
