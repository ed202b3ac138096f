"""Real servers for messaging tests: an SMTP server (aiosmtpd), a webhook receiver and a small
GOV.UK Notify look-alike, all on loopback and started by the test."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SmtpServer:
    """Keeps every message it accepts. `refuse` maps an address to an SMTP reply for RCPT;
    `on_rcpt(n)` runs before the n-th message's recipient is accepted (to stop mid-batch)."""

    port: int = field(default_factory=free_port)
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    on_rcpt: Callable[[int], None] | None = None
    _controller: Controller | None = None
    _transactions: int = 0

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.refuse:
            return self.refuse[address]
        self._transactions += 1
        if self.on_rcpt is not None:
            self.on_rcpt(self._transactions)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> SmtpServer:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        return message.get_body(preferencelist=("html",)).get_content()


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


class HttpReceiver:
    """An HTTP server that records requests and answers with `responses` in turn (the last
    one repeats): each an HTTP status, or "hang" to answer only when the receiver stops (or
    after `hang_seconds`), so a sender's timeout always fires first whatever the machine's load."""

    def __init__(
        self,
        responses: list[int | str] | None = None,
        *,
        hang_seconds: float = 120.0,
        handler: Callable[[Request], tuple[int, dict]] | None = None,
    ) -> None:
        self.requests: list[Request] = []
        self.responses = list(responses or [200])
        self.hang_seconds = hang_seconds
        self.handler = handler
        self.received = threading.Event()
        self._released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                receiver.requests.append(request)
                if receiver.handler is not None:
                    status, payload = receiver.handler(request)
                else:
                    index = min(len(receiver.requests) - 1, len(receiver.responses) - 1)
                    status, payload = receiver.responses[index], {}
                    if status == "hang":
                        receiver._released.wait(receiver.hang_seconds)
                        status = 200
                body = json.dumps(payload).encode()
                self.send_response(int(status))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                receiver.received.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> HttpReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()
