"""Staff pages for messaging: the outbox and dead letters (with retry), one message and its
delivery log, template previews, webhook endpoints, and the demo mailbox."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from townsquare.accounts import policies
from townsquare.cases import policies as case_policies
from townsquare.core.errors import DomainError, InvalidInput, NotFound
from townsquare.core.numbers import whole_number
from townsquare.councils.selectors import team_of_council, teams_of_council
from townsquare.messaging import rendering, selectors, services
from townsquare.messaging.defaults import KEYS, Words
from townsquare.messaging.mailbox import links_hidden, mailbox_get, mailbox_list
from townsquare.messaging.models import ChannelKind, Status
from townsquare.messaging.outbox import materialise
from townsquare.messaging.templates import current_words, preview
from townsquare.staff.access import staff_render, staff_view
from townsquare.ui.security_headers import allow_style_attributes

PAGE_SIZE = 50
TEMPLATE_NAMES = {
    "created": "Request received (to the reporter)",
    "state": "State changed (one per state unless overridden)",
    "state_closed": "Request closed",
    "public_update": "Public update posted",
    "merged": "Joined with another request",
    "area_alert": "Area alert: a new report",
    "area_digest": "Area alert: daily digest",
    "confirm": "Confirm an email subscription",
    "queue_new": "Staff: new in a watched queue",
    "appointment_delay": "Appointment: expected time moved",
    "appointment_cancelled": "Appointment: session cancelled",
}


def _render(
    request: HttpRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    # Addresses are personal data (ADR 24): in full for supervisors and admins, masked for
    # agents, except on a message about a case they are handling (see message()).
    full = case_policies.can_see_every_reporter_contact(
        request.staff.principal, request.staff.council.id
    )
    return staff_render(
        request,
        template,
        {
            "mailbox_available": _mailbox_available()
            and policies.can_manage_platform(request.staff.principal),
            "full_recipients": full,
            **context,
        },
        status=status,
    )


def _message_for_council(request: HttpRequest, message_id: int):
    try:
        message = selectors.message_get(principal=request.staff.principal, message_id=message_id)
    except NotFound:
        raise Http404("No such message") from None
    if message.council_id != request.staff.council.id:
        raise Http404("No such message")
    return message


@require_safe
@staff_view(policies.can_handle_case)
def outbox(request: HttpRequest) -> HttpResponse:
    council = request.staff.council
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    status = status if status in Status.values else ""
    channel = channel if channel in ChannelKind.values else ""
    page = Paginator(
        selectors.messages_for_council(council_id=council.id, status=status, channel=channel),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    counts = selectors.council_outbox_counts(council_id=council.id)
    return _render(
        request,
        "staff/messaging/outbox.html",
        {
            "watches": selectors.queue_watches(
                user_id=request.staff.user.pk, council_id=council.id
            ),
            "teams": teams_of_council(council_id=council.id),
            "page": page,
            "status": status,
            "channel": channel,
            "statuses": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
            "channels": ChannelKind.choices,
            "total": sum(counts.values()),
        },
    )


@require_POST
@staff_view(policies.can_handle_case)
def watch(request: HttpRequest) -> HttpResponse:
    council = request.staff.council
    if request.POST.get("action") == "stop":
        services.queue_unwatch(user=request.staff.user, council=council)
        flash.success(request, "You will no longer get emails about new cases.")
    else:
        team_id = request.POST.get("team", "")
        team = team_of_council(council_id=council.id, team_id=whole_number(team_id))
        if team_id and team is None:
            flash.error(request, "Choose a team from the list.")
        else:
            services.queue_unwatch(user=request.staff.user, council=council)
            services.queue_watch(user=request.staff.user, council=council, team=team)
            flash.success(
                request,
                "You will get an email about each new case in "
                f"{team.name if team else 'every queue of ' + council.name}.",
            )
    return redirect("staff_messaging:outbox")


@require_safe
@staff_view(policies.can_handle_case)
def dead_letters(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        selectors.council_dead_letters(council_id=request.staff.council.id), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    council_id = request.staff.council.id
    bulk = policies.can_retry_dead_letters_in_bulk(request.staff.principal, council_id)
    return _render(
        request,
        "staff/messaging/dead_letters.html",
        {
            "page": page,
            "dead_count": selectors.council_dead_letter_count(council_id=council_id) if bulk else 0,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(policies.can_retry_dead_letters_in_bulk)
def retry_dead_letters(request: HttpRequest) -> HttpResponse:
    """GET asks to confirm; POST sends the council's dead letters again (audited)."""
    council = request.staff.council
    if request.method == "POST":
        try:
            outcome = services.dead_letters_retry(council=council, actor=request.staff.principal)
        except DomainError as exc:
            flash.error(request, exc.message)
        else:
            words = f"{outcome.retried} message{'s' if outcome.retried != 1 else ''} queued again."
            if outcome.left:
                words += f" {outcome.left} more are waiting: retry again when these are sent."
            if outcome.link_not_kept:
                words += (
                    f" {outcome.link_not_kept} carried a link that is no longer kept and "
                    "were left alone: the people can ask for new ones."
                )
            flash.success(request, words)
        return redirect("staff_messaging:dead_letters")
    return _render(
        request,
        "staff/messaging/retry_dead_letters.html",
        {
            "dead_count": selectors.council_dead_letter_count(council_id=council.id),
            "limit": services.BULK_RETRY_LIMIT,
        },
    )


@require_safe
@staff_view(policies.can_handle_case)
def message(request: HttpRequest, message_id: int) -> HttpResponse:
    found = materialise(_message_for_council(request, message_id))
    log = selectors.attempts_for(message_ids=[found.pk]).get(found.pk, [])
    case = found.case
    handling = case is not None and case_policies.can_see_reporter_contact(
        request.staff.principal, case
    )
    return _render(
        request,
        "staff/messaging/message.html",
        {
            "message": found,
            "log": log,
            "handling": handling,
            "retryable": found.status
            in (Status.DEAD, Status.FAILED, Status.BOUNCED, Status.SUPPRESSED),
        },
    )


@require_POST
@staff_view(policies.can_handle_case)
def retry(request: HttpRequest, message_id: int) -> HttpResponse:
    found = _message_for_council(request, message_id)
    try:
        services.message_retry(message=found, actor=request.staff.principal)
    except DomainError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, f"Message {found.pk} is queued to be sent again.")
    target = request.POST.get("next", "")
    if target == "message":
        return redirect("staff_messaging:message", message_id=found.pk)
    return redirect("staff_messaging:dead_letters")


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(policies.can_handle_case)
def templates(request: HttpRequest) -> HttpResponse:
    council = request.staff.council
    data = request.POST if request.method == "POST" else request.GET
    language = "cy" if data.get("language") == "cy" else "en"
    key = data.get("key", "created")
    key = key if key in KEYS else "created"
    can_edit = request.staff.allows(policies.can_administer_council)
    words, own = current_words(council_id=council.id, service_code="", key=key, language=language)
    errors: dict[str, str] = {}
    draft = None
    if request.method == "POST":
        if not can_edit:
            return staff_render(request, "staff/forbidden.html", {}, status=403)
        action = request.POST.get("action")
        posted = Words(
            request.POST.get("subject", "")[:400],
            request.POST.get("body", "")[:12000],
            request.POST.get("sms", "")[:1200],
        )
        if action == "reset":
            services.message_template_reset(
                council=council, key=key, language=language, actor=request.staff.principal
            )
            flash.success(request, "Back to the shipped words.")
            return redirect(f"{request.path}?key={key}&language={language}")
        try:
            if action == "save":
                services.message_template_save(
                    council=council,
                    key=key,
                    language=language,
                    subject=posted.subject,
                    body=posted.body,
                    sms=posted.sms,
                    actor=request.staff.principal,
                )
                flash.success(request, "Saved: messages from now on use these words.")
                return redirect(f"{request.path}?key={key}&language={language}")
            services.message_template_check(
                subject=posted.subject, body=posted.body, sms=posted.sms
            )
        except InvalidInput as exc:
            errors = {field: texts[0] for field, texts in exc.errors.items()}
        draft = posted
    shown = draft or words
    rendered, fragments = preview(
        council_id=council.id,
        service_code="",
        key=key,
        language=language,
        words=shown if not errors else words,
    )
    allow_style_attributes(request)  # the email preview's frame
    return _render(
        request,
        "staff/messaging/templates.html",
        {
            "keys": [(k, TEMPLATE_NAMES.get(k, k)) for k in KEYS],
            "key": key,
            "key_name": TEMPLATE_NAMES.get(key, key),
            "language": language,
            "rendered": rendered,
            "fragments": fragments,
            "words": shown,
            "own": own,
            "can_edit": can_edit,
            "errors": errors,
            "is_draft": draft is not None and not errors,
            "fields": sorted(rendering.FIELDS),
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(policies.can_administer_council)
def webhooks(request: HttpRequest) -> HttpResponse:
    council = request.staff.council
    form = {"url": "", "events": [], "description": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {
            "url": request.POST.get("url", "").strip()[:600],
            "events": request.POST.getlist("events"),
            "description": request.POST.get("description", "").strip()[:200],
        }
        if not form["url"]:
            errors["url"] = "Enter the address of the endpoint"
        else:
            try:
                endpoint = services.webhook_endpoint_add(
                    council=council,
                    url=form["url"],
                    actor=request.staff.principal,
                    event_types=form["events"],
                    description=form["description"],
                )
            except InvalidInput as exc:
                for field, texts in exc.errors.items():
                    errors["url" if field not in ("event_types",) else "events"] = texts[0]
            else:
                flash.success(
                    request, "Endpoint added. Copy its signing secret into the receiving system."
                )
                return redirect("staff_messaging:webhook", endpoint_id=endpoint.pk)
    endpoints = selectors.endpoints_for_council(council_id=council.id)
    return _render(
        request,
        "staff/messaging/webhooks.html",
        {
            "endpoints": endpoints,
            "form": form,
            "errors": errors,
            "event_kinds": services.EVENT_KINDS,
        },
        status=400 if errors else 200,
    )


def _endpoint(request: HttpRequest, endpoint_id: int):
    try:
        return selectors.endpoint_get(
            endpoint_id=endpoint_id, council_ids=frozenset({request.staff.council.id})
        )
    except NotFound:
        raise Http404("No such endpoint") from None


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(policies.can_administer_council)
def webhook(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "POST":
        action = request.POST.get("action")
        actor = request.staff.principal
        if action == "rotate":
            services.webhook_secret_rotate(endpoint=endpoint, actor=actor)
            flash.success(
                request,
                "New secret made. The old one also signs for "
                f"{settings.MESSAGING_WEBHOOK_SECRET_OVERLAP_HOURS} hours.",
            )
        elif action in ("disable", "enable"):
            services.webhook_endpoint_set_active(
                endpoint=endpoint, active=action == "enable", actor=actor
            )
            flash.success(request, f"Endpoint {'switched on' if action == 'enable' else 'off'}.")
        return redirect("staff_messaging:webhook", endpoint_id=endpoint.pk)
    deliveries = selectors.endpoint_deliveries(endpoint=endpoint, limit=50)
    log = selectors.attempts_for(message_ids=[m.pk for m in deliveries])
    return _render(
        request,
        "staff/messaging/webhook.html",
        {
            "endpoint": endpoint,
            "deliveries": [(m, log.get(m.pk, [])) for m in deliveries],
        },
    )


def _mailbox_available() -> bool:
    # Only when the demo says so (DEMO_MAILBOX): a production server relaying through a local
    # mail server must never show its mail here, whatever EMAIL_HOST and the ports are.
    return settings.DEMO_MAILBOX


def _reads_the_demo_mailbox(principal, council_id: int) -> bool:
    # The mailbox holds every council's email: only platform admins, never a council's staff.
    return policies.can_manage_platform(principal)


@require_safe
@staff_view(_reads_the_demo_mailbox)
def mailbox(request: HttpRequest) -> HttpResponse:
    if not _mailbox_available():
        raise Http404("There is no local mailbox in this deployment")
    to = request.GET.get("to", "").strip()[:200]
    mails = mailbox_list(to=to, limit=200)
    return _render(request, "staff/messaging/mailbox.html", {"mails": mails, "to": to})


@require_safe
@staff_view(_reads_the_demo_mailbox)
def mailbox_message(request: HttpRequest, mail_id: str) -> HttpResponse:
    mail = mailbox_get(mail_id) if _mailbox_available() else None
    if mail is None:
        raise Http404("No such message in the mailbox")
    parsed = mail.parsed()
    # Every link is hidden: sign-in, confirmation and resume links would let the reader act as
    # the person they were sent to (the CLI, for operators on the machine, shows them).
    headers = [
        (k, links_hidden(str(v)))
        for k, v in parsed.items()
        if k.lower()
        in (
            "from",
            "to",
            "subject",
            "date",
            "reply-to",
            "list-unsubscribe",
            "list-unsubscribe-post",
            "message-id",
        )
    ]
    allow_style_attributes(request)  # the email preview's frame
    return _render(
        request,
        "staff/messaging/mailbox_message.html",
        {
            "mail": mail,
            "headers": headers,
            "text": links_hidden(mail.text()),
            "html": links_hidden(mail.html()),
        },
    )
