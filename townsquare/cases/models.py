from __future__ import annotations

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    WEB = "web", "Web"
    OPEN311 = "open311", "Open311"
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    APP = "app", "Mobile app"
    STAFF = "staff", "Staff"
    IMPORT = "import", "Import"


class Case(models.Model):
    """A report (a located street problem) or an application (about a person): one model, so
    queues, timelines, SLAs and Open311 treat both the same."""

    reference = models.CharField(max_length=20, unique=True)
    # Foreign keys that no query looks up alone carry no index of their own (db_index=False):
    # each index costs every insert, and a million-case import pays that a million times.
    council = models.ForeignKey(
        "councils.Council", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    service = models.ForeignKey(
        "catalogue.ServiceTemplate", on_delete=models.PROTECT, related_name="+"
    )
    # The template version the case was created under; later edits to the service leave it be.
    service_version = models.ForeignKey(
        "catalogue.ServiceTemplateVersion",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(max_length=12)
    state = models.CharField(max_length=50)
    # Derived from the workflow's mapping of `state`; stored so queries need no template.
    is_open = models.BooleanField(default=True)
    is_public = models.BooleanField(default=True)
    values = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    # The latest public message about the case (Open311's status_notes), kept here so lists
    # need not read the timeline.
    status_notes = models.TextField(blank=True)

    lat = models.FloatField(null=True)
    lng = models.FloatField(null=True)
    address = models.CharField(max_length=300, blank=True)
    # Where the pin is, in words from the council's gazetteer when the report was made: the
    # nearest street ("Kirkstall Road, Leeds LS4") or postcode and ward (councils.selectors.
    # place_in_words). (db_default: bulk loaders that write rows with raw SQL need not know
    # of it.)
    place_in_words = models.CharField(max_length=200, blank=True, default="", db_default="")
    postcode = models.CharField(max_length=10, blank=True)
    location_approximate = models.BooleanField(default=False)
    h3_r7 = models.BigIntegerField(null=True)
    h3_r9 = models.BigIntegerField(null=True)
    h3_r11 = models.BigIntegerField(null=True)
    area = models.ForeignKey(
        "councils.Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_email = models.EmailField(blank=True)
    reporter_phone = models.CharField(max_length=30, blank=True)
    reporter_name_public = models.BooleanField(default=False)
    # A report from someone who gave only an email address stays out of public view until they
    # follow the link sent to it (case_confirm_reporter); staff see and handle it meanwhile.
    # (db_default: bulk loaders that write rows with raw SQL need not know of it.)
    awaiting_confirmation = models.BooleanField(default=False, db_default=False)

    team = models.ForeignKey(
        "councils.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    priority = models.PositiveSmallIntegerField(default=3)  # 1 urgent .. 4 low
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    # The level of confidence in the applicant's identity when they sent it (accounts.levels:
    # none, authenticated, P2), so staff can see what was checked; null for cases from before.
    # Nullable so that SQLite adds the column in place: rebuilding the table would drop the
    # map-count triggers (ADR 51).
    identity_level = models.CharField(max_length=20, null=True, blank=True)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolve_due_at = models.DateTimeField(null=True, blank=True)

    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    support_count = models.PositiveIntegerField(default=0)
    # Public photos and links, counted so listings look attachments up only where there are some.
    media_count = models.PositiveSmallIntegerField(default=0)
    is_test = models.BooleanField(default=False)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change: a writer holding an older number gets a conflict, not a lost update.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["council", "is_open", "created_at"], name="case_council_open_idx"),
            # Staff queues sorted by due time; and the counts of the queue's views (all open,
            # overdue, due soon, mine, unassigned, my team) from this index alone, without
            # reading a row (bench/staff.py: a recount over 100,000 open cases on SQLite went
            # from 185 ms to 63 ms).
            models.Index(
                fields=["council", "is_open", "resolve_due_at", "assignee", "team"],
                name="case_council_due_cover_idx",
            ),
            models.Index(fields=["created_at"], name="case_created_idx"),
            models.Index(fields=["updated_at"], name="case_updated_idx"),
            # The REST API's search and change feed (cases.queues.queue_after): a council's
            # cases in the order they changed, so a page stops at its limit instead of sorting
            # every match; by service and by ward too, so a rare pair of filters does not walk
            # the whole council (bench/RESULTS.md, 1,000,000 cases).
            models.Index(fields=["council", "updated_at", "id"], name="case_council_updated_idx"),
            models.Index(
                fields=["council", "service", "updated_at", "id"], name="case_service_updated_idx"
            ),
            models.Index(
                fields=["council", "area", "updated_at", "id"], name="case_area_updated_idx"
            ),
            # Open311's filtered search (ADR 221): by service, with or without status, over a
            # window of creation times (what FixMyStreet and council dashboards ask for).
            models.Index(
                fields=["service", "is_open", "created_at"], name="case_service_open_created_idx"
            ),
            # Covering index for radius queries: cell, then the box test, without reading rows.
            models.Index(fields=["h3_r9", "lat", "lng"], name="case_h3_r9_idx"),
            # The public map counts reports per cell with its filters from this index alone
            # (ADR 51); its first column also serves radius queries beyond 3 km.
            models.Index(
                fields=[
                    "h3_r7",
                    "is_public",
                    "is_test",
                    "kind",
                    "is_open",
                    "service",
                    "created_at",
                ],
                name="case_h3_map_idx",
            ),
            # ... and counts them per resolution-9 cell at street zooms from this one alone:
            # a quarter of the time of reading each row for its filters (ADR 118).
            models.Index(
                fields=["h3_r9", "is_public", "is_test", "kind", "is_open", "service", "council"],
                name="case_h3_r9_map_idx",
            ),
            # Cases sent without signing in, found by their (lower-case) address when that
            # person signs in (cases_link_to_citizen); a small part of all cases.
            models.Index(
                fields=["reporter_email"],
                name="case_unlinked_email_idx",
                condition=models.Q(reporter__isnull=True) & ~models.Q(reporter_email=""),
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class ReferenceCounter(models.Model):
    """The last reference number handed out per council and year."""

    council = models.ForeignKey("councils.Council", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["council", "year"], name="one_counter_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.council_id}/{self.year}: {self.last_number}"


class Attachment(models.Model):
    """A photo (stored, stripped of metadata) or a link to media held elsewhere."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/", blank=True)
    url = models.URLField(max_length=1000, blank=True)
    content_type = models.CharField(max_length=50, blank=True)
    # The name the file had on the sender's device (documents), cleaned by
    # file_name_clean: shown to staff and the applicant, never used as a path.
    original_name = models.CharField(max_length=120, blank=True)
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    is_public = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["case_id", "id"]

    def __str__(self) -> str:
        return self.url or self.file.name


class CaseLink(models.Model):
    """Two cases staff marked as related (not duplicates: both stay open). Stored once, with
    the lower id first, and read in both directions."""

    first = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="case_link_unique"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="case_link_ordered"
            ),
        ]
        indexes = [models.Index(fields=["second"], name="case_link_second_idx")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id}"


class CaseSupport(models.Model):
    """One person's support for a report (ADR 134): counted once per signed-in user or per
    email address, and for an address only once its owner has followed the emailed link. Only
    a digest of who supported is kept, never the address."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    # sha256 of "user:<id>" or "email:<address>", so the same person cannot count twice.
    supporter = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    # When it was added to the case's support_count; None while an address is unconfirmed.
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "supporter"], name="case_support_once"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.supporter[:8]}"


class MapCellCount(models.Model):
    """How many public reports each H3 resolution-7 cell holds, per council, service and
    open/closed: what the zoomed-out public map reads (ADR 51).

    Kept exact by database triggers on cases_case (migration 0006), so every writer (services,
    bulk loads, raw SQL) keeps it in step without knowing of it. Rows may reach n = 0.
    """

    h3_r7 = models.BigIntegerField()
    council_id = models.IntegerField()
    service_id = models.IntegerField()
    is_open = models.BooleanField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["h3_r7", "council_id", "service_id", "is_open"], name="one_map_cell_count"
            )
        ]

    def __str__(self) -> str:
        return f"{self.h3_r7}: {self.n}"
