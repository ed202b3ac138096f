"""The demo's local mailbox: an SMTP server (aiosmtpd) that keeps every message it receives as
a file under var/mailbox/, so `make run` sends real email without reaching the internet."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import re
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from django.conf import settings

# Stands in for every web address when the mailbox is shown in a browser: emails carry links that
# sign someone in, confirm, resume or track a private application, and the staff page must not
# hand them to whoever reads it (issue 23). Operators read them with `townsquare mailbox show`.
LINK_HIDDEN = "[link hidden: townsquare mailbox show]"
_WEB_ADDRESS = re.compile(r"(?:https?|ftp)://[^\s\"'<>]+|(?<![\w.])www\.[^\s\"'<>]+", re.IGNORECASE)


def links_hidden(text: str) -> str:
    """`text` (plain, HTML or a header) with every web address replaced by LINK_HIDDEN."""
    return _WEB_ADDRESS.sub(LINK_HIDDEN, text)


class MailboxHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        # Time first, so file names sort in arrival order.
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.directory / f".{name}.tmp"
        header = "".join(f"X-Envelope-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos)
        tmp.write_bytes(header.encode() + envelope.original_content)
        tmp.rename(self.directory / name)  # atomic: readers never see half a message
        return "250 Message accepted for delivery"


def sms_log_write(*, recipient: str, content: bytes, directory: Path | None = None) -> Path:
    """Keep one text message in the mailbox's folder (the demo's SMS log), as the SMTP
    handler keeps an email: listed with them, newest first."""
    directory = directory or settings.MAILBOX_DIR
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
    tmp = directory / f".{name}.tmp"
    tmp.write_bytes(f"X-Envelope-To: {recipient}\r\n".encode() + content)
    tmp.rename(directory / name)
    return directory / name


def mailbox_start(
    *, host: str | None = None, port: int | None = None, directory: Path | None = None
) -> Controller:
    # aiosmtpd logs every SMTP command at INFO; one line per message is plenty.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(
        MailboxHandler(directory or settings.MAILBOX_DIR),
        hostname=host or settings.MAILBOX_HOST,
        port=port if port is not None else settings.MAILBOX_PORT,
    )
    controller.start()
    return controller


@dataclass(frozen=True)
class StoredMail:
    id: str
    received_at: float
    to: str
    subject: str
    sender: str
    path: Path

    @property
    def received(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.received_at, tz=dt.UTC)

    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.path.read_bytes(), policy=email.policy.default)

    def text(self) -> str:
        part = self.parsed().get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    def html(self) -> str:
        part = self.parsed().get_body(preferencelist=("html",))
        return part.get_content() if part else ""


def mailbox_list(
    *, directory: Path | None = None, to: str = "", limit: int = 100
) -> list[StoredMail]:
    """Stored messages, newest first, optionally only those to an address."""
    directory = directory or settings.MAILBOX_DIR
    if not directory.exists():
        return []
    found = []
    for path in sorted(directory.glob("*.eml"), reverse=True):
        with path.open("rb") as handle:
            head = email.message_from_binary_file(
                handle, policy=email.policy.default, _class=EmailMessage
            )
        recipient = str(head.get("X-Envelope-To", head.get("To", "")))
        if to and to.lower() not in recipient.lower():
            continue
        found.append(
            StoredMail(
                id=path.stem,
                received_at=int(path.stem.split("-")[0]) / 1e9,
                to=recipient,
                subject=str(head.get("Subject", "")),
                sender=str(head.get("From", "")),
                path=path,
            )
        )
        if len(found) >= limit:
            break
    return found


def mailbox_get(mail_id: str, *, directory: Path | None = None) -> StoredMail | None:
    directory = directory or settings.MAILBOX_DIR
    if not mail_id or "/" in mail_id or "." in mail_id:
        return None
    for mail in mailbox_list(directory=directory, limit=10_000):
        if mail.id == mail_id:
            return mail
    return None
