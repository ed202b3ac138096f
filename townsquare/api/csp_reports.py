"""Where browsers report what the Content-Security-Policy blocked (ADR 146): each report is
written to the log (logger `townsquare.csp`), one line of JSON, so a page that breaks under the
policy, or an attempt to inject a script, shows up where operators look.

Anyone can post here, so each client address may send CSP_REPORTS_PER_MINUTE reports a
minute (core.ratelimit), bodies are small, and only named fields, each cut short, reach the
log. Both forms browsers send are taken: `application/csp-report` (the report-uri directive)
and `application/reports+json` (the Reporting API's report-to)."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from townsquare.api.http import problem
from townsquare.core.ratelimit import client_address, per_minute, take

log = logging.getLogger("townsquare.csp")

MAX_BODY = 64 * 1024
MAX_REPORTS_PER_BODY = 20
MAX_FIELD = 300
# report-uri's names -> the Reporting API's names, which the log uses.
_LEGACY_NAMES = {
    "document-uri": "documentURL",
    "referrer": "referrer",
    "violated-directive": "violatedDirective",
    "effective-directive": "effectiveDirective",
    "blocked-uri": "blockedURL",
    "source-file": "sourceFile",
    "line-number": "lineNumber",
    "column-number": "columnNumber",
    "disposition": "disposition",
    "status-code": "statusCode",
    "script-sample": "sample",
}
_FIELDS = tuple(dict.fromkeys(_LEGACY_NAMES.values()))
_URL_FIELDS = {"documentURL", "referrer", "blockedURL", "sourceFile"}


def _clean(name: str, value: Any) -> str | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    if name in _URL_FIELDS:
        # A query string can carry someone's token; the page's path is what finds the fault.
        value = value.split("?", 1)[0]
    return value[:MAX_FIELD]


def _reports(body: Any) -> list[dict[str, Any]]:
    """The violations in either format, as {field: value} with the Reporting API's names."""
    if isinstance(body, dict) and isinstance(body.get("csp-report"), dict):
        legacy = body["csp-report"]
        return [{new: legacy.get(old) for old, new in _LEGACY_NAMES.items()}]
    if isinstance(body, list):
        return [
            item["body"]
            for item in body[:MAX_REPORTS_PER_BODY]
            if isinstance(item, dict)
            and item.get("type") == "csp-violation"
            and isinstance(item.get("body"), dict)
        ]
    return []


@csrf_exempt
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    rate, burst = per_minute(settings.CSP_REPORTS_PER_MINUTE)
    decision = take(f"csp-report:{client_address(request)}", rate=rate, burst=burst)
    if not decision.allowed:
        return problem(
            429,
            "rate_limited",
            "Too many reports from this address; later ones are not recorded.",
            headers={"Retry-After": str(decision.retry_after)},
        )
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return problem(413, "too_large", f"A report body may be {MAX_BODY} bytes at most.")
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return problem(400, "invalid_json", "Send the report as JSON, as browsers do.")
    reports = _reports(parsed)
    if not reports:
        return problem(400, "no_report", "The body holds no CSP violation report.")
    for report in reports:
        fields = {name: _clean(name, report.get(name)) for name in _FIELDS}
        recorded = {name: value for name, value in fields.items() if value not in (None, "")}
        # JSON escapes control characters: a report cannot forge log lines.
        log.warning("CSP violation %s", json.dumps(recorded, sort_keys=True))
    return HttpResponse(status=204)
