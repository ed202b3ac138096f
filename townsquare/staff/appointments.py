"""Live queues at the desk (issue 18): today's sessions, and for each a phone-sized desk page
where one tap sets the delay ("running 40 minutes late", "back on time", "session cancelled")
and checks people in and marks them seen. Every action is a POST that calls one appointments
service (which records it in the event log, the audit trail)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from townsquare.appointments import policies as appointment_policies
from townsquare.appointments.imports import parse_csv, parse_fhir
from townsquare.appointments.selectors import (
    appointment_get_for_staff,
    desk_rows,
    figures,
    session_get_for_staff,
    sessions_of_day,
    today,
)
from townsquare.appointments.services import (
    AppointmentIn,
    appointment_cancel_at_desk,
    appointment_check_in,
    appointment_seen,
    appointments_add,
    session_cancel,
    session_delay_set,
)
from townsquare.core.errors import DomainError, InvalidInput, NotFound
from townsquare.core.numbers import whole_number
from townsquare.staff.access import staff_render, staff_view

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# The desk's one-tap delays, in minutes (0: back on time).
DELAYS = (10, 20, 30, 40, 60, 90)


@require_safe
@staff_view(appointment_policies.can_run_desk)
def sessions(request: HttpRequest) -> HttpResponse:
    found = sessions_of_day(
        principal=request.staff.principal, council_id=request.staff.council.id, day=today()
    )
    return staff_render(request, "staff/appointments/sessions.html", {"sessions": found})


def _session_or_404(request: HttpRequest, session_id: int):
    try:
        session = session_get_for_staff(principal=request.staff.principal, session_id=session_id)
    except NotFound:
        raise Http404("No such session") from None
    if session.council_id != request.staff.council.id:
        raise Http404("No such session")
    return session


@require_safe
@staff_view(appointment_policies.can_run_desk)
def desk(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    context = {
        "session": session,
        "rows": desk_rows(session=session),
        "delays": DELAYS,
        "fragment": f"{reverse('staff:appointments_desk', args=[session.id])}?fragment=rows",
        "stream": reverse("live:queue", kwargs={"session_id": session.id}),
    }
    if request.GET.get("fragment") == "rows":
        return staff_render(request, "staff/appointments/desk_rows.html", context)
    return staff_render(request, "staff/appointments/desk.html", context)


def _back(session_id: int) -> HttpResponse:
    return redirect("staff:appointments_desk", session_id=session_id)


@require_POST
@staff_view(appointment_policies.can_run_desk)
def delay(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    minutes = whole_number(request.POST.get("minutes", ""))
    try:
        if request.POST.get("action") == "cancel":
            session_cancel(session=session, actor=request.staff.principal)
            messages.success(request, "Session cancelled: everyone still to come is being told")
        elif minutes is None:
            messages.error(request, "Choose a delay")
        else:
            session_delay_set(session=session, delay_minutes=minutes, actor=request.staff.principal)
            messages.success(
                request,
                f"Running {minutes} minutes late" if minutes else "Back on time",
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(session.id)


@require_POST
@staff_view(appointment_policies.can_run_desk)
def appointment(request: HttpRequest, session_id: int, appointment_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    try:
        found = appointment_get_for_staff(
            principal=request.staff.principal, session=session, appointment_id=appointment_id
        )
    except NotFound:
        raise Http404("No such appointment") from None
    action = request.POST.get("action", "")
    actions = {
        "check_in": (appointment_check_in, "checked in"),
        "seen": (appointment_seen, "seen"),
        "cancel": (appointment_cancel_at_desk, "cancelled"),
    }
    if action not in actions:
        messages.error(request, "Choose check in, seen or cancel")
        return _back(session.id)
    service, done = actions[action]
    try:
        service(appointment=found, actor=request.staff.principal)
        messages.success(request, f"Number {found.number} {done}")
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(session.id)


@require_safe
@staff_view(appointment_policies.can_see_figures)
def figures_page(request: HttpRequest) -> HttpResponse:
    found = figures(principal=request.staff.principal, council_id=request.staff.council.id)
    return staff_render(request, "staff/appointments/figures.html", found)


def _row_order(label: str) -> tuple[str, int]:
    kind, _, number = label.partition(" ")
    return (kind, int(number) if number.isdigit() else 0)


@staff_view(appointment_policies.can_manage_appointments)
def import_file(request: HttpRequest, session_id: int) -> HttpResponse:
    """Appointments from a CSV file or FHIR Appointment resources (JSON): all stored, or none
    with every refused row and why."""
    session = _session_or_404(request, session_id)
    context: dict = {"session": session, "refused": [], "error": ""}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or upload.size == 0:
            context["error"] = "Choose a CSV or FHIR JSON file"
        elif upload.size > MAX_UPLOAD_BYTES:
            context["error"] = "The file must be smaller than 5 MB"
        else:
            content = upload.read()
            is_json = upload.name.lower().endswith(".json") or content.lstrip()[:1] == b"{"
            day = timezone.localtime(session.starts_at).date()
            parsed = parse_fhir(content) if is_json else parse_csv(content, day=day)
            try:
                added = appointments_add(
                    session=session,
                    items=parsed.items,
                    labels=parsed.labels,
                    refused=parsed.refused,
                    actor=request.staff.principal,
                    source="fhir" if is_json else "csv",
                )
            except InvalidInput as exc:
                context["refused"] = sorted(
                    ((label, reasons) for label, reasons in exc.errors.items()),
                    key=lambda row: _row_order(row[0]),
                )
                context["error"] = "Nothing was added: correct these rows and send the file again"
            except DomainError as exc:
                context["error"] = exc.message
            else:
                messages.success(request, f"{len(added)} appointments added")
                return _back(session.id)
        status = 400
    else:
        status = 200
    return staff_render(request, "staff/appointments/import.html", context, status=status)


@require_POST
@staff_view(appointment_policies.can_manage_appointments)
def book(request: HttpRequest, session_id: int) -> HttpResponse:
    """One appointment booked at the desk (a walk-in, a phone call)."""
    import datetime as dt

    session = _session_or_404(request, session_id)
    raw = request.POST.get("time", "").strip()
    try:
        if not re.fullmatch(r"\d{1,2}:\d{2}", raw):
            raise ValueError(raw)
        at = dt.time.fromisoformat(raw.zfill(5))
    except ValueError:
        messages.error(request, "Enter the time like 10:30")
        return _back(session.id)
    local = timezone.localtime(session.starts_at)
    item = AppointmentIn(
        scheduled_at=dt.datetime.combine(local.date(), at, tzinfo=local.tzinfo),
        phone=request.POST.get("phone", "").strip()[:30],
        email=request.POST.get("email", "").strip()[:254],
        language=request.POST.get("language", "en"),
        name=request.POST.get("name", "").strip()[:200],
    )
    try:
        [added] = appointments_add(
            session=session, items=[item], actor=request.staff.principal, source="desk"
        )
    except InvalidInput as exc:
        messages.error(
            request, "Not booked: " + "; ".join(m for ms in exc.errors.values() for m in ms)
        )
    else:
        messages.success(request, f"Booked: number {added.number} at {at:%H:%M}")
    return _back(session.id)
