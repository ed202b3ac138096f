"""Channels: how one outbox row leaves the building. Each returns an Outcome; none raises.

An outcome is temporary (worth retrying: the other side was busy or unreachable) or final.
Only temporary failures are retried; a refused address or a rejected request never is.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import smtplib
import time
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

import certifi
import requests
import urllib3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import sanitize_address

from townsquare.core import clock
from townsquare.messaging import signing
from townsquare.messaging.addresses import AddressRefused, check_url
from townsquare.messaging.models import Message, WebhookEndpoint


@dataclass(frozen=True)
class Outcome:
    ok: bool
    temporary: bool = False
    bounced: bool = False
    delivered: bool = False
    detail: str = ""
    status_code: int | None = None
    provider_id: str = ""


class SmtpChannel:
    """Email over SMTP, one connection (one SMTP session) reused for every message of a send
    run: Django's backend and settings to connect, the message itself built by Django and
    handed to smtplib directly, with the sender's address prepared once."""

    def __init__(self) -> None:
        self._backend: EmailBackend | None = None
        self._from = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)

    def _connection(self) -> EmailBackend:
        if self._backend is None:
            self._backend = EmailBackend(fail_silently=False)
            self._backend.open()
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            # Closing a connection the server already dropped may fail; nothing to do then.
            with contextlib.suppress(Exception):
                self._backend.close()
            self._backend = None

    def send(self, message: Message) -> Outcome:
        try:
            recipient = sanitize_address(message.recipient, settings.DEFAULT_CHARSET)
        except ValueError as exc:
            return Outcome(ok=False, detail=f"Not an address we can send to: {exc}"[:300])
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"Message-ID": message_id_header(message), **message.headers},
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        try:
            mime = email.message()
            if mime.is_multipart():
                # A boundary of our own spares the email package a regular expression compiled
                # for each message to pick a random one; it must not occur in the content.
                boundary = f"=_{_key_digest(message)}"
                if boundary not in message.body_text and boundary not in message.body_html:
                    mime.set_boundary(boundary)
            self._connection().connection.sendmail(
                self._from, [recipient], mime.as_bytes(linesep="\r\n")
            )
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, text = next(iter(exc.recipients.values()), (0, b""))
            detail = f"{code} {_text(text)}"
            if 400 <= code < 500:
                return Outcome(ok=False, temporary=True, detail=detail, status_code=code)
            return Outcome(ok=False, bounced=True, detail=detail, status_code=code)
        except smtplib.SMTPResponseException as exc:
            self.close()
            detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            return Outcome(
                ok=False,
                temporary=400 <= exc.smtp_code < 500,
                detail=detail,
                status_code=exc.smtp_code,
            )
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnected, refused, timed out: the server may be back in a moment.
            self.close()
            return Outcome(ok=False, temporary=True, detail=f"{type(exc).__name__}: {exc}")
        return Outcome(ok=True)


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def message_id_header(message: Message) -> str:
    """The email's Message-ID, derived from the row's idempotency key alone.

    A copy sent again after a crash (the server accepted it, the worker died before recording
    that) carries the same Message-ID, so mail systems and clients that drop repeats can; the
    right-hand side is our sending domain, so installations sending from different domains
    never share an id."""
    return f"<{_key_digest(message)}@{_message_id_domain()}>"


def _key_digest(message: Message) -> str:
    return hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]


def _message_id_domain() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    return domain or urlsplit(settings.PUBLIC_URL).hostname or "townsquare.localhost"


class NotifyChannel:
    """Email and SMS through GOV.UK Notify's official client."""

    def __init__(self) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(
            settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL
        )

    def close(self) -> None:
        pass

    def send(self, message: Message) -> Outcome:
        from notifications_python_client.errors import APIError, HTTPError

        try:
            if message.channel == "sms":
                response = self.client.send_sms_notification(
                    phone_number=message.recipient,
                    template_id=settings.NOTIFY_SMS_TEMPLATE_ID,
                    personalisation={"body": message.body_text},
                    reference=str(message.pk),
                )
            else:
                response = self.client.send_email_notification(
                    email_address=message.recipient,
                    template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
                    personalisation={"subject": message.subject, "body": message.body_text},
                    reference=str(message.pk),
                )
        except HTTPError as exc:
            code = exc.status_code
            return Outcome(
                ok=False,
                temporary=code == 429 or code >= 500,
                detail=f"Notify {code}: {str(exc.message)[:300]}",
                status_code=code,
            )
        except APIError as exc:  # no response at all: connection or timeout
            return Outcome(ok=False, temporary=True, detail=f"Notify: {str(exc)[:300]}")
        except requests.RequestException as exc:
            return Outcome(ok=False, temporary=True, detail=f"Notify: {exc}"[:300])
        return Outcome(ok=True, provider_id=str(response.get("id", "")))


class _PinnedPools:
    """HTTP(S) connection pools that connect to an address already vetted by the address guard,
    while speaking to the URL's host name (Host header, TLS SNI and certificate check). The name
    is never looked up again, so DNS cannot answer differently between the guard's check and the
    connection (DNS rebinding). Pools are kept for the batch, so a burst reuses connections."""

    def __init__(self) -> None:
        self._pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def post(
        self, url: str, *, address: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> urllib3.BaseHTTPResponse:
        parts = urlsplit(url)
        hostname = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, address, port, hostname)
        if key not in self._pools:
            if parts.scheme == "https":
                self._pools[key] = urllib3.HTTPSConnectionPool(
                    address,
                    port,
                    maxsize=1,
                    server_hostname=hostname,
                    assert_hostname=hostname,
                    cert_reqs="CERT_REQUIRED",
                    ca_certs=certifi.where(),
                )
            else:
                self._pools[key] = urllib3.HTTPConnectionPool(address, port, maxsize=1)
        host = f"[{hostname}]" if ":" in hostname else hostname
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return self._pools[key].urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host if parts.port is None else f"{host}:{parts.port}"},
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,
            redirect=False,
            preload_content=True,
        )


class WebhookChannel:
    """Signed POSTs to council systems. Retries only on 5xx, 429 and timeouts/connection errors."""

    def __init__(self) -> None:
        self.pools = _PinnedPools()

    def close(self) -> None:
        self.pools.close()

    def send(self, message: Message) -> Outcome:
        endpoint: WebhookEndpoint | None = message.endpoint
        if endpoint is None or not endpoint.is_active:
            return Outcome(ok=False, detail="The endpoint was removed or switched off")
        try:
            addresses = check_url(endpoint.url)
        except AddressRefused as exc:
            return Outcome(ok=False, detail=str(exc)[:300])
        body = message.body_text.encode()
        now = clock.now()
        secrets_ = [endpoint.secret]
        if (
            endpoint.previous_secret
            and endpoint.previous_secret_expires_at
            and endpoint.previous_secret_expires_at > now
        ):
            secrets_.append(endpoint.previous_secret)
        headers = signing.headers(
            secrets_,
            msg_id=message.headers.get("webhook-id", ""),
            timestamp=int(time.time()),
            body=body,
        )
        headers["user-agent"] = "Townsquare-Webhooks/1"
        try:
            response = self.pools.post(
                endpoint.url,
                address=addresses[0],
                body=body,
                headers=headers,
                timeout=settings.MESSAGING_WEBHOOK_TIMEOUT,
            )
        except (OSError, urllib3.exceptions.HTTPError) as exc:
            # Unreachable, timed out, cut off or a TLS failure: the other side may recover.
            return Outcome(ok=False, temporary=True, detail=f"{type(exc).__name__}"[:300])
        code = response.status
        if 200 <= code < 300:
            return Outcome(ok=True, delivered=True, status_code=code)
        return Outcome(
            ok=False, temporary=code == 429 or code >= 500, status_code=code, detail=f"HTTP {code}"
        )


def webhook_body(*, msg_id: str, kind: str, timestamp: str, data: dict) -> str:
    return json.dumps(
        {"type": kind, "timestamp": timestamp, "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def notify_configured() -> bool:
    return bool(settings.NOTIFY_API_KEY)


def sms_configured() -> bool:
    """Can texts leave? Through Notify, or in the demo into the local mailbox (the SMS log)."""
    return notify_configured() or settings.DEMO_MAILBOX


class SmsLogChannel:
    """The demo's SMS log (DEMO_MAILBOX, no Notify): each text is kept as a file in the local
    mailbox's folder, listed beside the email (`townsquare mailbox list`), so `make run` shows
    what a person would have been texted without any provider."""

    def close(self) -> None:
        pass

    def send(self, message: Message) -> Outcome:
        from email.message import EmailMessage

        from townsquare.messaging.mailbox import sms_log_write

        note = EmailMessage()
        note["From"] = "SMS <sms@townsquare.localhost>"
        note["To"] = message.recipient
        note["Subject"] = f"Text message to {message.recipient}"
        note["Content-Language"] = message.language
        note.set_content(message.body_text)
        try:
            sms_log_write(recipient=message.recipient, content=note.as_bytes())
        except OSError as exc:
            return Outcome(ok=False, temporary=True, detail=f"SMS log: {exc}"[:300])
        return Outcome(ok=True, provider_id=f"sms-log-{message.pk}")


class Channels:
    """The channels one send batch uses, opened lazily and closed together."""

    def __init__(self) -> None:
        self._open: dict[str, SmtpChannel | NotifyChannel | WebhookChannel | SmsLogChannel] = {}

    def for_message(
        self, message: Message
    ) -> SmtpChannel | NotifyChannel | WebhookChannel | SmsLogChannel:
        if message.channel == "webhook":
            name = "webhook"
        elif notify_configured():
            name = "notify"
        elif message.channel == "sms":
            name = "sms_log"
        else:
            name = "smtp"
        if name not in self._open:
            self._open[name] = {
                "webhook": WebhookChannel,
                "notify": NotifyChannel,
                "smtp": SmtpChannel,
                "sms_log": SmsLogChannel,
            }[name]()
        return self._open[name]

    def close(self) -> None:
        for channel in self._open.values():
            channel.close()
        self._open.clear()
