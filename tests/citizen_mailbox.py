"""A real SMTP server (aiosmtpd) on loopback for tests, and Django pointed at it.

Usage: the `smtp_mailbox` fixture; `mailbox.wait_for(to=...)` returns the parsed message.
Transactional messages (sign-in, confirmation and resume links) go through the outbox and are
sent as the request's transaction commits (MESSAGING_DISPATCH "inline"), so tests that read
them need committed transactions: `django_db(transaction=True)` or a live server.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage

import pytest


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, *, to: str, timeout: float = 120.0, count: int = 1) -> EmailMessage:
        """The `count`-th message sent to `to`, waiting for it to arrive (the timeout only ends
        a test that has already failed)."""

        def found():
            return [m for m in self.messages if to in str(m["To"])]

        with self._arrived:
            if self._arrived.wait_for(lambda: len(found()) >= count, timeout=timeout):
                return found()[count - 1]
        raise AssertionError(
            f"no message {count} to {to} within {timeout}s; "
            f"got {[str(m['To']) for m in self.messages]}"
        )

    def sent_to(self, to: str) -> list[EmailMessage]:
        with self._arrived:
            return [m for m in self.messages if to in str(m["To"])]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_mailbox(settings):
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.MESSAGING_DISPATCH = "inline"
    settings.NOTIFY_API_KEY = ""
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def outbox_refuses(db):
    """The database refuses every new outbox message, as it would when its disk is full: a
    trigger, so the error is the database's own."""
    from django.db import connection

    if connection.vendor == "postgresql":
        statements = [
            "CREATE FUNCTION outbox_refuses() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ "
            "LANGUAGE plpgsql",
            "CREATE TRIGGER outbox_refuses BEFORE INSERT ON messaging_message "
            "FOR EACH ROW EXECUTE FUNCTION outbox_refuses()",
        ]
        undo = [
            "DROP TRIGGER IF EXISTS outbox_refuses ON messaging_message",
            "DROP FUNCTION IF EXISTS outbox_refuses()",
        ]
    else:
        statements = [
            "CREATE TRIGGER outbox_refuses BEFORE INSERT ON messaging_message "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        ]
        undo = ["DROP TRIGGER IF EXISTS outbox_refuses"]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in undo:
            cursor.execute(statement)
