"""The demo's clinic: a health trust's session today at a place of the first demo council,
with a day's appointments (fictional people, Ofcom's drama numbers, example.org addresses),
some of them in Welsh. Idempotent: one clinic session per day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from townsquare.accounts.principal import Principal
from townsquare.appointments.models import ServicePoint, Session
from townsquare.appointments.services import (
    AppointmentIn,
    appointments_add,
    service_point_ensure,
    session_create,
)
from townsquare.core import clock
from townsquare.councils.models import Council

DEMO_POINT = "central-health-clinic"
DEMO_APPOINTMENTS = 18
DEMO_SLOT_MINUTES = 10
# Who the demo's people are: every third one in Welsh, every fourth by email only.
_NAMES = (
    "Ann Jones",
    "Bryn Davies",
    "Carys Evans",
    "Dev Patel",
    "Eve Morgan",
    "Femi Adeyemi",
    "Gwen Thomas",
    "Hari Singh",
    "Iolo Price",
)


def demo_phone(index: int) -> str:
    # 07700 900000 to 900999 are set aside by Ofcom for drama: never anyone's number.
    return f"07700 900{100 + index:03d}"


def demo_clinic_ensure(
    *, council: Council, now: dt.datetime | None = None, appointments: int = DEMO_APPOINTMENTS
) -> Session:
    """Today's clinic session, starting at the current hour (so the demo has people still to
    come whenever it is run), made once a day."""
    now = now or clock.now()
    zone = ZoneInfo(settings.TIME_ZONE)
    point = service_point_ensure(
        council=council,
        code=DEMO_POINT,
        name="Central Health Clinic",
        name_cy="Clinig Iechyd Canolog",
        owner="Community Health NHS Trust (demo)",
        address="1 Market Street\nCity Centre",
        opening_hours="Monday to Friday, 8am to 8pm",
        alert_threshold_minutes=15,
    )
    local = now.astimezone(zone)
    day_start = dt.datetime.combine(local.date(), dt.time(0), tzinfo=zone)
    existing = Session.objects.filter(
        service_point=point, starts_at__gte=day_start, starts_at__lt=day_start + dt.timedelta(1)
    ).first()
    if existing is not None:
        return existing
    starts = local.replace(minute=0, second=0, microsecond=0)
    ends = starts + dt.timedelta(minutes=DEMO_SLOT_MINUTES * appointments + 30)
    system = Principal.system("Demo loader")
    session = session_create(
        service_point=point,
        name="Diabetes eye screening clinic",
        starts_at=starts,
        ends_at=ends,
        slot_minutes=DEMO_SLOT_MINUTES,
        actor=system,
    )
    appointments_add(
        session=session,
        items=[demo_person(i, starts) for i in range(appointments)],
        actor=system,
        source="demo",
    )
    return session


def demo_person(index: int, starts: dt.datetime) -> AppointmentIn:
    by_email = index % 4 == 3
    return AppointmentIn(
        scheduled_at=starts + dt.timedelta(minutes=DEMO_SLOT_MINUTES * index),
        name=_NAMES[index % len(_NAMES)],
        phone="" if by_email else demo_phone(index),
        email=f"patient{index}@example.org" if by_email else "",
        language="cy" if index % 3 == 1 else "en",
        number=101 + index,
    )


def demo_point(council: Council) -> ServicePoint | None:
    return ServicePoint.objects.filter(council=council, code=DEMO_POINT).first()
