"""Confirming a reporter's email address before their report goes public (ADR 53).

The link carries a signature rather than a stored token: nothing to clean up, and it works
for REPORT_CONFIRM_DAYS. Following it twice is harmless.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from townsquare.cases.selectors import case_for_confirmation
from townsquare.cases.services import case_confirm_reporter
from townsquare.catalogue.selectors import services_by_id
from townsquare.core.errors import NotFound
from townsquare.core.links import public_url
from townsquare.councils.selectors import councils_by_id
from townsquare.messaging.services import MessageNotQueued, transactional_message_send

log = logging.getLogger(__name__)

CONFIRM_SALT = "townsquare.portal.report-confirm"
SENT_SALT = "townsquare.portal.report-sent"


def confirmation_token(case_id: int) -> str:
    return signing.dumps({"c": case_id}, salt=CONFIRM_SALT)


def send_confirmation(request: HttpRequest, case) -> bool:
    """Queue the link in the language of the page that sent the report; False when it could
    not be queued (the report is kept either way)."""
    council = councils_by_id(ids={case.council_id})[case.council_id]
    link = public_url(reverse("portal:report_confirm", args=[confirmation_token(case.id)]))
    try:
        transactional_message_send(
            kind="report_confirm",
            to=case.reporter_email,
            link=link,
            language=get_language() or "en",
            council=council,
            case_id=case.id,
            values={
                "reference": case.reference,
                "days": str(settings.REPORT_CONFIRM_DAYS),
                # The service's name in the language of the page that sent the report.
                "service_name": services_by_id(ids={case.service_id})[case.service_id].display_name,
            },
        )
    except MessageNotQueued:
        log.warning("Could not queue the confirmation for %s", case.reference)
        return False
    return True


def _case_from(token: str, *, salt: str, max_age=None) -> tuple[object, dict]:
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
        case = case_for_confirmation(case_id=int(payload["c"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, NotFound):
        raise Http404(
            _("This link is not valid. Check you copied all of it from the email.")
        ) from None
    return case, payload


@require_safe
def check_email(request: HttpRequest, token: str) -> HttpResponse:
    case, payload = _case_from(token, salt=SENT_SALT, max_age=3600 * 24)
    council = councils_by_id(ids={case.council_id})[case.council_id]
    return render(
        request,
        "report/check_email.html",
        {
            "page_council": council,
            "council": council,
            "case": case,
            "sent": payload.get("sent", True),
            "email": _masked(case.reporter_email),
            "days": settings.REPORT_CONFIRM_DAYS,
        },
    )


@require_safe
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        payload = signing.loads(
            token, salt=CONFIRM_SALT, max_age=settings.REPORT_CONFIRM_DAYS * 24 * 3600
        )
    except signing.SignatureExpired:
        return render(
            request,
            "report/confirm_expired.html",
            {"days": settings.REPORT_CONFIRM_DAYS},
            status=410,
        )
    except signing.BadSignature:
        raise Http404(
            _("This link is not valid. Check you copied all of it from the email.")
        ) from None
    try:
        case = case_for_confirmation(case_id=int(payload["c"]))
    except (NotFound, KeyError, TypeError, ValueError):
        raise Http404(_("We cannot find that report")) from None
    case = case_confirm_reporter(case_id=case.id)
    response = redirect(reverse("portal:report_done", args=[case.reference]) + "?confirmed=1")
    response.status_code = 303
    return response


def _masked(email: str) -> str:
    """p***@example.org: enough to recognise, not to read out over someone's shoulder."""
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else ""
