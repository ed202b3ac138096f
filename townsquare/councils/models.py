from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{0,48}$", "Use lower-case letters, digits, -")


class Council(models.Model):
    """A tenant: one public body whose services, cases and staff are kept apart from others'."""

    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=50, unique=True, validators=[slug_validator])
    # Open311 jurisdiction_id, e.g. "bristol.gov.uk".
    jurisdiction_id = models.CharField(max_length=100, unique=True)
    # Three letters that start every case reference: BRS-26-000123.
    reference_prefix = models.CharField(max_length=5, unique=True)
    gss_code = models.CharField(max_length=9, blank=True)
    boundary = models.JSONField(help_text="GeoJSON MultiPolygon, WGS84")
    # Bounding box of the boundary, kept for cheap map framing and quick rejection.
    min_lat = models.FloatField()
    min_lng = models.FloatField()
    max_lat = models.FloatField()
    max_lng = models.FloatField()
    branding = models.JSONField(default=dict, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    """A named part of a council (a ward), used for routing, filters and alerts."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, default="ward")
    boundary = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["council", "code"], name="area_code_per_council")
        ]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="teams")
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["council", "code"], name="team_code_per_council")
        ]

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    """A street, place name or postcode in a council's gazetteer (services.places_import).

    Council areas and wards are found from the boundary data itself; these rows add the names
    people type that boundaries do not hold.
    """

    class Kind(models.TextChoices):
        STREET = "street", "Street"
        PLACE = "place", "Place"
        POSTCODE = "postcode", "Postcode"
        POSTCODE_SECTOR = "postcode_sector", "Postcode sector"
        POSTCODE_DISTRICT = "postcode_district", "Postcode district"

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="places")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STREET)
    name = models.CharField(max_length=200)
    # Lower case, accents and punctuation removed, spaces collapsed (postcodes: no spaces):
    # what a search is matched against.
    search_name = models.CharField(max_length=200)
    # Where the name is, to tell apart places of one name: "Horsforth LS18" for a street, the
    # ward for a postcode.
    qualifier = models.CharField(max_length=200, blank=True, default="")
    # Where the name is (for a street, a point on it), WGS84.
    lat = models.FloatField()
    lng = models.FloatField()
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            # The nearest street or postcode to a point: a small box around it, by kind
            # (selectors.place_in_words).
            models.Index(fields=["council", "kind", "lat", "lng"], name="place_near_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Gazetteer(models.Model):
    """What a council's gazetteer holds and whose data it is (one row per council that has
    imported one). Searches and place descriptions show `attribution` where they use it."""

    council = models.OneToOneField(
        Council, on_delete=models.CASCADE, primary_key=True, related_name="gazetteer"
    )
    streets = models.PositiveIntegerField(default=0)
    places = models.PositiveIntegerField(default=0)
    postcodes = models.PositiveIntegerField(default=0)
    # The licence notice the data's publisher requires ("Contains OS data © Crown copyright
    # and database right 2025").
    attribution = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True)
    imported_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Gazetteer of council {self.council_id}"
