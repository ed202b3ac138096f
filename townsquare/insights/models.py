"""Figures kept up to date from the event log, so dashboards never read every case.

`CaseFact` is what one case currently adds to the figures; when a case changes, its old fact is
taken away and the new one added, so `DailyFigure` and `CellFigure` stay exact without ever
being recomputed from all cases.
"""

from __future__ import annotations

from django.db import models


class CaseFact(models.Model):
    case_id = models.BigIntegerField(primary_key=True)
    council_id = models.BigIntegerField(db_index=True)
    service_id = models.BigIntegerField()
    team_id = models.BigIntegerField(default=0, help_text="0: no team")
    opened_on = models.DateField()
    closed_on = models.DateField(null=True)
    # Whole hours from report to close; the unit of the median and 90th percentile.
    close_hours = models.IntegerField(null=True)
    # Closed by its target time; None when closed without a target, or still open.
    on_time = models.BooleanField(null=True)
    cell = models.BigIntegerField(null=True)  # H3 resolution 8 (about 0.7 km²)

    def __str__(self) -> str:
        return f"case {self.case_id}"


class DailyFigure(models.Model):
    """Per council, day (council's local date), service and team: cases opened that day, and
    cases closed that day with how long they took and whether they met their target."""

    council_id = models.BigIntegerField()
    day = models.DateField()
    service_id = models.BigIntegerField()
    team_id = models.BigIntegerField(default=0, help_text="0: no team")
    opened = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    closed_with_target = models.IntegerField(default=0)
    # {"hours to close": number of cases}, for exact medians and percentiles over any period.
    close_hours = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council_id", "day", "service_id", "team_id"], name="daily_figure_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.council_id} {self.day} {self.service_id}: {self.opened}"


class CellFigure(models.Model):
    """Cases opened per council, month, service, team and H3 cell: the hotspot map."""

    council_id = models.BigIntegerField()
    month = models.DateField()
    service_id = models.BigIntegerField()
    team_id = models.BigIntegerField(default=0, help_text="0: no team")
    cell = models.BigIntegerField()
    opened = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council_id", "month", "service_id", "team_id", "cell"],
                name="cell_figure_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.council_id} {self.month} {self.cell}: {self.opened}"


class CouncilCellFigure(models.Model):
    """Cases opened per council, month and H3 cell, over all services and teams: the hotspot
    map of a whole council without adding up every service's cells."""

    council_id = models.BigIntegerField()
    month = models.DateField()
    cell = models.BigIntegerField()
    opened = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council_id", "month", "cell"], name="council_cell_figure_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.council_id} {self.month} {self.cell}: {self.opened}"


class Cursor(models.Model):
    """The last event id a consumer has handled: how it resumes without missing anything."""

    name = models.CharField(max_length=40, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_event_id}"


class Anomaly(models.Model):
    """A spike: far more reports of one service in one area than expected for the time."""

    council_id = models.BigIntegerField()
    service_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    cell = models.BigIntegerField(help_text="H3 cell (resolution 8) of the area")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    count = models.IntegerField()
    expected = models.FloatField()
    # Chance of at least `count` reports if nothing unusual were happening (Poisson tail).
    probability = models.FloatField()
    detected_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["council_id", "-window_end"], name="anomaly_recent_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["council_id", "service_id", "cell", "window_start"], name="anomaly_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} reports (expected {self.expected:.2f}) at {self.window_end}"

    @property
    def rarity(self) -> str:
        from townsquare.insights.rules import rarity_text

        return rarity_text(self.probability)
