"""A webhook receiver for demos and integrators: checks each delivery's Standard Webhooks
signature against the endpoints' secrets and keeps it as a JSON file under var/webhooks/."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from townsquare.messaging import signing

TOLERANCE_SECONDS = 300


def verify(secrets_: list[str], headers: dict[str, str], body: bytes) -> bool:
    """True when any secret made any of the delivery's signatures, and it is recent."""
    msg_id = headers.get("webhook-id", "")
    try:
        timestamp = int(headers.get("webhook-timestamp", ""))
    except ValueError:
        return False
    if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
        return False
    given = headers.get("webhook-signature", "").split()
    for secret in secrets_:
        expected = signing.sign(secret, msg_id=msg_id, timestamp=timestamp, body=body)
        if any(hmac.compare_digest(expected, g) for g in given):
            return True
    return False


def receiver_serve(
    *,
    host: str,
    port: int,
    directory: Path,
    secrets: Callable[[], list[str]],
    say: Callable[[str], None],
) -> None:
    directory.mkdir(parents=True, exist_ok=True)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = min(int(self.headers.get("Content-Length") or 0), 1_000_000)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok = verify(secrets(), headers, body)
            self.send_response(204 if ok else 401)
            self.end_headers()
            try:
                kind = json.loads(body).get("type", "?")
            except ValueError:
                kind = "?"
            if ok:
                name = f"{time.time_ns()}-{headers.get('webhook-id', 'unknown')[:60]}.json"
                (directory / name).write_bytes(body)
            say(
                f"{'verified' if ok else 'REJECTED (bad signature)'}  {kind}  "
                f"{headers.get('webhook-id', '')}"
            )

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    try:
        server.serve_forever()
    finally:
        server.server_close()
