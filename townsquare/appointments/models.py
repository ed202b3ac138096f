"""Live queues: places that run sessions of appointments, and what the desk says about them.

Personal data (a person's contact, name and language) lives only on Appointment and is
removed the day after its session (services.sessions_clean_up); what stays is anonymous: times,
statuses and the session's figures. Clinical content is never stored: there is no field for it.
"""

from __future__ import annotations

from django.db import models


class ServicePoint(models.Model):
    """A place with appointments: a clinic, a register office, a housing surgery. A council or
    a partner body (a health trust) runs it; the council is the tenant it belongs to."""

    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    name_cy = models.CharField(max_length=200, blank=True)
    owner = models.CharField(max_length=200, help_text="Who runs it: the council or a partner")
    address = models.TextField(blank=True)
    opening_hours = models.CharField(max_length=200, blank=True)
    # People are told when their expected time moves by at least this much (or is cancelled).
    alert_threshold_minutes = models.PositiveSmallIntegerField(default=15)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["council", "code"], name="one_service_point_code")
        ]

    def __str__(self) -> str:
        return self.name


class SessionStatus(models.TextChoices):
    OPEN = "open", "Open"
    CANCELLED = "cancelled", "Cancelled"


class Session(models.Model):
    """One clinic or surgery at a service point: a run of appointment slots on one day."""

    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    service_point = models.ForeignKey(
        ServicePoint, on_delete=models.CASCADE, related_name="sessions"
    )
    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    slot_minutes = models.PositiveSmallIntegerField(default=10)
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.OPEN
    )
    # The delay the desk set (or the check-ins showed), in minutes, and how it was known.
    delay_minutes = models.PositiveSmallIntegerField(default=0)
    delay_source = models.CharField(max_length=10, default="desk")
    delay_set_at = models.DateTimeField(null=True, blank=True)
    # Counts each change of delay or status: an alert is sent at most once per change.
    change_no = models.PositiveIntegerField(default=0)
    worst_delay_minutes = models.PositiveSmallIntegerField(default=0)
    # Set when the session's personal data was removed; figures below are then final.
    cleaned_at = models.DateTimeField(null=True, blank=True)
    figures = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["council", "starts_at"], name="appt_session_day_idx"),
            models.Index(fields=["cleaned_at", "ends_at"], name="appt_session_clean_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_at:%Y-%m-%d})"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    SEEN = "seen", "Seen"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "Did not come"


class Appointment(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="appointments")
    # What the board shows instead of a name: the number on the person's letter.
    number = models.PositiveIntegerField()
    scheduled_at = models.DateTimeField()
    # Where the person stands in the queue: their time, later if they said they are running
    # late ("LATE 20").
    queue_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    # The expected time the person was last told (their booked time until an alert).
    told_expected_at = models.DateTimeField()
    alerts_sent = models.PositiveSmallIntegerField(default=0)
    replies = models.PositiveSmallIntegerField(default=0)
    late_minutes = models.PositiveSmallIntegerField(default=0)
    # Personal data, removed the day after the session.
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=5, default="en")
    external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="one_appointment_number")
        ]
        indexes = [
            models.Index(fields=["session", "queue_at"], name="appt_queue_idx"),
            models.Index(fields=["phone"], name="appt_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.number}"


class AlertKind(models.TextChoices):
    DELAY = "delay", "Running late"
    CANCELLED = "cancelled", "Session cancelled"


class Alert(models.Model):
    """A decision to tell one person about one change: messaging turns it into an SMS or
    email. One per appointment and change, so nobody is told twice about the same change."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    change_no = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    expected_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "change_no"], name="one_alert_per_change"
            )
        ]
        indexes = [models.Index(fields=["session", "change_no"], name="appt_alert_change_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.appointment_id}#{self.change_no}"
