"""townsquare mailbox — the demo's local mailbox: serve it, list and read what arrived."""

from __future__ import annotations

import signal
import threading
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.messaging.mailbox import mailbox_get, mailbox_list, mailbox_start


class Command(BaseCommand):
    help = "The local demo mailbox: `serve` (an SMTP server), `list`, `show ID`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        serve = sub.add_parser("serve", help="Receive mail over SMTP and keep it under var/")
        serve.add_argument("--port", type=int, default=settings.MAILBOX_PORT)
        serve.add_argument("--host", default=settings.MAILBOX_HOST)
        listing = sub.add_parser("list", help="Newest messages first")
        listing.add_argument("--to", default="", help="Only messages to this address")
        listing.add_argument("--limit", type=int, default=20)
        show = sub.add_parser("show", help="Print one message (its plain text)")
        show.add_argument("id")
        show.add_argument("--html", action="store_true", help="Print the HTML part instead")
        show.add_argument("--raw", action="store_true", help="Print the whole message")

    def handle(self, *args, action: str, **options):
        if action == "serve":
            controller = mailbox_start(host=options["host"], port=options["port"])
            self.stdout.write(
                f"Mailbox listening on {options['host']}:{options['port']}, "
                f"keeping mail in {settings.MAILBOX_DIR}"
            )
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            try:
                stop.wait()
            finally:
                controller.stop()
            return
        if action == "list":
            mails = mailbox_list(to=options["to"], limit=options["limit"])
            if not mails:
                self.stdout.write("The mailbox is empty.")
            for mail in mails:
                when = datetime.fromtimestamp(mail.received_at).strftime("%Y-%m-%d %H:%M:%S")
                self.stdout.write(f"{mail.id}  {when}  {mail.to[:40]:40}  {mail.subject}")
            return
        mail = mailbox_get(options["id"])
        if mail is None:
            raise CommandError(f"No message {options['id']!r} in the mailbox")
        if options["raw"]:
            self.stdout.write(mail.path.read_bytes().decode(errors="replace"))
            return
        self.stdout.write(f"From: {mail.sender}\nTo: {mail.to}\nSubject: {mail.subject}\n")
        self.stdout.write(mail.html() if options["html"] else mail.text())
