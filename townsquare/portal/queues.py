"""Live queues for the public (issue 18): today's sessions at /queues/, each with a board for
the waiting room that shows the delay and the next numbers (never a name), updated over the
live event stream, and a plain-text version."""

from __future__ import annotations

from functools import lru_cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from townsquare.appointments.selectors import board, public_session_get, public_sessions
from townsquare.core.errors import NotFound


@lru_cache(maxsize=1)
def _live_js() -> str:
    return static("ui/live.js") if finders.find("ui/live.js") else ""


def _language() -> str:
    return "cy" if (translation.get_language() or "").startswith("cy") else "en"


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    language = _language()
    sessions = public_sessions()
    rows = [
        {
            "session": s,
            "place": s.service_point.name_cy
            if language == "cy" and s.service_point.name_cy
            else s.service_point.name,
        }
        for s in sessions
    ]
    return render(request, "queues/index.html", {"rows": rows})


def _board_or_404(request: HttpRequest, session_id: int):
    try:
        session = public_session_get(session_id=session_id)
    except NotFound:
        return None
    return board(session=session, language=_language())


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "queues/index.html", {"rows": [], "unknown": True}, status=404)


@require_safe
def queue_board(request: HttpRequest, session_id: int) -> HttpResponse:
    found = _board_or_404(request, session_id)
    if found is None:
        return _not_found(request)
    screen = request.GET.get("view") == "screen"
    context = {
        "board": found,
        "screen": screen,
        "live_js": _live_js(),
        "stream": reverse("live:queue", kwargs={"session_id": session_id}),
        "fragment": reverse("portal:queue_board", kwargs={"session_id": session_id})
        + "?fragment=board",
        "now": timezone.now(),
    }
    if request.GET.get("fragment") == "board":
        response = render(request, "queues/board_fragment.html", context)
    else:
        response = render(request, "queues/board.html", context)
    # A board is only right now: never from a cache.
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def queue_text(request: HttpRequest, session_id: int) -> HttpResponse:
    """The board as sentences in plain text, for screen readers, braille and text browsers."""
    found = _board_or_404(request, session_id)
    if found is None:
        return HttpResponse(
            _("There is no such queue today."), status=404, content_type="text/plain; charset=utf-8"
        )
    lines = [f"{found.place}: {found.session.name}"]
    if found.cancelled:
        lines.append(_("This session is cancelled. Please do not come in."))
    elif found.delay_minutes:
        lines.append(
            ngettext(
                "Running %(minutes)d minute late.",
                "Running %(minutes)d minutes late.",
                found.delay_minutes,
            )
            % {"minutes": found.delay_minutes}
        )
    else:
        lines.append(_("Running on time."))
    for entry in found.next:
        lines.append(
            _("Number %(number)s: expected at %(time)s.")
            % {
                "number": entry.number,
                "time": formats.time_format(timezone.localtime(entry.expected_at), "H:i"),
            }
        )
    lines.append(
        _("%(waiting)d waiting, %(seen)d seen.") % {"waiting": found.waiting, "seen": found.seen}
    )
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


urlpatterns = [
    path("", index, name="queues"),
    path("<int:session_id>/", queue_board, name="queue_board"),
    path("<int:session_id>/text", queue_text, name="queue_text"),
]
