"""Reading appointments from a CSV file or from FHIR Appointment resources (JSON), row by row:
each row is either an AppointmentIn or the reasons it is refused. Nothing is stored here;
services.appointments_add stores a batch only when no row is refused (ADR 194).

FHIR: a single Appointment or a Bundle of them, validated with fhir.resources (R4B models,
which read R4 Appointments). Each Appointment names its patient in `contained` (a Patient
with a mobile number or email in `telecom` and, optionally, a language in `communication`):
that is all we keep of the patient. Clinical content (reason, description, comments,
service types) is never read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings

from townsquare.appointments.services import AppointmentIn

MAX_ROWS = 20_000
CSV_COLUMNS = ("time", "phone", "email", "language", "name", "number", "reference")


@dataclass
class Parsed:
    items: list[AppointmentIn] = field(default_factory=list)
    # Each item's place in the file ("row 3", "entry 2"), to name it when it is refused.
    labels: list[str] = field(default_factory=list)
    # Row label -> reasons.
    refused: dict[str, list[str]] = field(default_factory=dict)

    def add(self, label: str, item: AppointmentIn) -> None:
        self.items.append(item)
        self.labels.append(label)


def _time(value: str, *, day: dt.date) -> dt.datetime:
    """A time of the session's day ("09:30") or a full date and time ("2026-03-10T09:30")."""
    value = value.strip()
    zone = ZoneInfo(settings.TIME_ZONE)
    if len(value) <= 5 and ":" in value:
        return dt.datetime.combine(day, dt.time.fromisoformat(value.zfill(5)), tzinfo=zone)
    at = dt.datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=zone)


def _number(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 1_000_000:
        raise ValueError(f"Number must be a whole number, not {value!r}")
    return int(value)


def parse_csv(content: bytes | str, *, day: dt.date) -> Parsed:
    """Columns (a header row first): time, phone, email, language, name, number, reference.
    Only time and one of phone or email are needed."""
    parsed = Parsed()
    text = content.decode("utf-8-sig", errors="replace") if isinstance(content, bytes) else content
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "time" not in header:
        parsed.refused["header"] = [
            f"The first row must name the columns, with at least time: {', '.join(CSV_COLUMNS)}"
        ]
        return parsed
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        parsed.refused["header"] = [f"Unknown columns: {', '.join(unknown)}"]
        return parsed
    reader.fieldnames = header
    for index, row in enumerate(reader, start=2):
        if index > MAX_ROWS + 1:
            parsed.refused["file"] = [f"At most {MAX_ROWS:,} appointments at a time"]
            break
        label = f"row {index}"
        try:
            parsed.add(
                label,
                AppointmentIn(
                    scheduled_at=_time(row.get("time") or "", day=day),
                    phone=(row.get("phone") or "").strip(),
                    email=(row.get("email") or "").strip(),
                    language=(row.get("language") or "en").strip().lower() or "en",
                    name=(row.get("name") or "").strip(),
                    number=_number(row.get("number") or ""),
                    external_id=(row.get("reference") or "").strip(),
                ),
            )
        except ValueError as exc:
            parsed.refused[label] = [str(exc) or "The time is not a time (use 09:30)"]
    return parsed


def parse_fhir(content: bytes | str) -> Parsed:
    """A FHIR Appointment, or a Bundle whose entries are Appointments."""
    from fhir.resources.R4B.appointment import Appointment
    from pydantic import ValidationError

    parsed = Parsed()
    try:
        document = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        parsed.refused["file"] = ["The file is not JSON"]
        return parsed
    if not isinstance(document, dict):
        parsed.refused["file"] = ["Send a FHIR Appointment or a Bundle of them"]
        return parsed
    if document.get("resourceType") == "Bundle":
        entries = [
            e.get("resource") if isinstance(e, dict) else None for e in document.get("entry") or []
        ]
    else:
        entries = [document]
    if len(entries) > MAX_ROWS:
        parsed.refused["file"] = [f"At most {MAX_ROWS:,} appointments at a time"]
        return parsed
    for index, resource in enumerate(entries, start=1):
        label = f"entry {index}"
        if not isinstance(resource, dict) or resource.get("resourceType") != "Appointment":
            parsed.refused[label] = ["Not an Appointment resource"]
            continue
        try:
            appointment = Appointment.model_validate(resource)
        except ValidationError as exc:
            parsed.refused[label] = [
                f"{'.'.join(str(p) for p in error['loc']) or 'resource'}: {error['msg']}"
                for error in exc.errors()[:5]
            ]
            continue
        try:
            parsed.add(label, _from_fhir(appointment))
        except ValueError as exc:
            parsed.refused[label] = [str(exc)]
    return parsed


def _from_fhir(appointment) -> AppointmentIn:
    if appointment.status in ("cancelled", "noshow", "entered-in-error", "fulfilled"):
        raise ValueError(f"The appointment is {appointment.status}: only booked ones are queued")
    if appointment.start is None:
        raise ValueError("The appointment has no start time")
    start = appointment.start
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    patients = {
        f"#{r.id}": r
        for r in (appointment.contained or [])
        if getattr(r, "__resource_type__", r.get_resource_type()) == "Patient"
    }
    patient = None
    for participant in appointment.participant or []:
        reference = participant.actor.reference if participant.actor else None
        if reference in patients:
            patient = patients[reference]
            break
    if patient is None:
        raise ValueError("Name the patient as a contained Patient (participant actor #id)")
    phone = email = ""
    for telecom in patient.telecom or []:
        if telecom.system in ("sms", "phone") and telecom.use in (None, "mobile") and not phone:
            phone = telecom.value or ""
        elif telecom.system == "email" and not email:
            email = telecom.value or ""
    language = "en"
    for communication in patient.communication or []:
        codes = [c.code for c in (communication.language.coding or []) if c.code]
        if codes:
            language = codes[0].split("-")[0].lower()
            if communication.preferred:
                break
    name = ""
    if patient.name:
        first = patient.name[0]
        name = first.text or " ".join([*(first.given or []), first.family or ""]).strip()
    number = None
    for identifier in appointment.identifier or []:
        if identifier.value and identifier.value.isdigit():
            number = int(identifier.value)
            break
    return AppointmentIn(
        scheduled_at=start,
        phone=phone,
        email=email,
        language=language,
        name=name,
        number=number,
        external_id=appointment.id or "",
    )
