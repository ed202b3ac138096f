"""A real year: City of Boston's 2015 cases imported as the demo does it. The dashboard's
figures must equal the same figures computed directly from the CSV files (and, for service
levels and backlog, straight from the case rows), and anomaly alerts must fire on planted data
but stay silent through the year's quiet weeks."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import math
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import h3.api.basic_int as h3
import pytest
from django.conf import settings
from django.core.management import call_command

from townsquare.cases.bulk import CaseSpec, cases_bulk_create
from townsquare.cases.models import Case
from townsquare.catalogue.documents import library_files, load_template_file
from townsquare.catalogue.models import ServiceTemplate
from townsquare.core.models import Event
from townsquare.demo.boston import boston_data, boston_demo_load
from townsquare.insights.anomalies import anomalies_detect, anomalies_find
from townsquare.insights.figures import figures_catch_up
from townsquare.insights.selectors import Filters, dashboard_get
from townsquare.opendata.imports import mapping_load

BOSTON = ZoneInfo("America/New_York")
YEAR = Filters(dt.date(2015, 1, 1), dt.date(2015, 12, 31))


@pytest.fixture(scope="module")
def boston(django_db_setup, django_db_blocker):
    """Boston imported once for the module (it takes seconds), emptied afterwards."""
    with django_db_blocker.unblock():
        library = [
            load_template_file(p) for p in library_files(Path(settings.SERVICE_TEMPLATE_LIBRARY))
        ]
        council = boston_demo_load(
            library=library,
            password="a-long-test-password",
            totp_secret="JBSWY3DPEHPK3PXP",
            roles=(),
            say=lambda _: None,
        )
        rejected = set()
        # The import's own report of refused rows: recomputed here from the import records.
        from townsquare.opendata.models import ImportedRecord

        imported = set(
            ImportedRecord.objects.filter(council=council).values_list("source_id", flat=True)
        )
        yield council, imported, rejected
        call_command("flush", interactive=False, verbosity=0)


def _parse(value: str) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.strptime(value, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=BOSTON)


def _rows_from_csv(imported: set[str]) -> list[dict]:
    """Every Boston row the import took in, read with nothing but the csv module."""
    service_of = mapping_load("boston").service_map
    rows = []
    # The shared data's raw files when they are here, else the extract the demo ships.
    for path in boston_data()[0]:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                if row["TYPE"] not in service_of or row["CASE_ENQUIRY_ID"] not in imported:
                    continue
                opened = _parse(row["OPEN_DT"])
                closed = _parse(row["CLOSED_DT"]) if row["CASE_STATUS"] == "Closed" else None
                rows.append(
                    {"service": service_of[row["TYPE"]], "opened": opened, "closed": closed}
                )
    return rows


def _nearest_rank(values: list[int], p: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@pytest.mark.django_db
def test_dashboard_figures_equal_the_figures_computed_from_the_files(boston):
    council, imported, _ = boston
    rows = _rows_from_csv(imported)
    assert len(rows) == len(imported) > 40_000
    board = dashboard_get(council=council, filters=YEAR)

    opened_per_day = Counter(
        r["opened"].date() for r in rows if YEAR.start <= r["opened"].date() <= YEAR.end
    )
    closed_per_day = Counter(
        r["closed"].date()
        for r in rows
        if r["closed"] and YEAR.start <= r["closed"].date() <= YEAR.end
    )
    assert {d: o for d, o, _ in board.daily if o} == dict(opened_per_day)
    assert {d: c for d, _, c in board.daily if c} == dict(closed_per_day)
    assert board.totals.opened == sum(opened_per_day.values())

    hours = [
        int((r["closed"] - r["opened"]).total_seconds() // 3600)
        for r in rows
        if r["closed"] and YEAR.start <= r["closed"].date() <= YEAR.end
    ]
    assert board.totals.median_hours == _nearest_rank(hours, 50)
    assert board.totals.p90_hours == _nearest_rank(hours, 90)

    names = dict(ServiceTemplate.objects.filter(council=council).values_list("code", "name"))
    by_service = Counter(
        names[r["service"]] for r in rows if YEAR.start <= r["opened"].date() <= YEAR.end
    )
    assert [(c.name, c.opened) for c in board.categories] == sorted(
        by_service.items(), key=lambda item: (-item[1], item[0])
    )

    weekly = Counter(d - dt.timedelta(days=d.weekday()) for d in opened_per_day.elements())
    assert dict(board.weekly) == {w: weekly.get(w, 0) for w in dict(board.weekly)}

    # Service levels and backlog straight from the case rows.
    start = dt.datetime(2015, 1, 1, tzinfo=BOSTON)
    end = dt.datetime(2016, 1, 1, tzinfo=BOSTON)
    closed = Case.objects.filter(
        council=council,
        closed_at__gte=start,
        closed_at__lt=end,
        resolve_due_at__isnull=False,
        is_open=False,
    )
    on_time = sum(1 for c, d in closed.values_list("closed_at", "resolve_due_at") if c <= d)
    assert board.totals.sla_percent == pytest.approx(100 * on_time / closed.count())
    still_open = (
        Case.objects.filter(council=council, created_at__lt=end).count()
        - Case.objects.filter(council=council, closed_at__lt=end, is_open=False).count()
    )
    assert board.backlog[-1][1] == still_open
    located = Case.objects.filter(
        council=council, created_at__gte=start, created_at__lt=end, h3_r9__isnull=False
    ).count()
    assert sum(n for _, n in board.cells) == located


def _quietest_weeks(council, count: int) -> list[dt.date]:
    board = dashboard_get(council=council, filters=YEAR)
    # From the third week on, so that the model has some history to learn from.
    weeks = [
        (n, monday)
        for monday, n in board.weekly
        if dt.date(2015, 1, 19) <= monday <= dt.date(2015, 12, 21)
    ]
    return [monday for _, monday in sorted(weeks)[:count]]


@pytest.mark.django_db
def test_no_anomaly_in_the_quiet_weeks_of_the_real_year(boston):
    council, _, _ = boston
    for monday in _quietest_weeks(council, 6):
        at = dt.datetime.combine(monday, dt.time(), BOSTON)
        for hour in range(7 * 24):
            found = anomalies_find(council=council, at=at + dt.timedelta(hours=hour + 1))
            assert found == [], f"false alarm in the week of {monday}: {found}"


@pytest.mark.django_db
def test_a_planted_spike_is_detected_explained_and_announced(boston):
    council, _, _ = boston
    fly_tipping = ServiceTemplate.objects.select_related("current_version").get(
        council=council, code="fly_tipping"
    )
    # Ten fly-tipping reports along one street in Dorchester within an hour on a Wednesday.
    when = dt.datetime(2015, 10, 14, 14, 0, tzinfo=BOSTON)
    specs = []
    for i in range(10):
        lat, lng = 42.3016 + i * 0.0002, -71.0676
        created = when + dt.timedelta(minutes=5 * i)
        specs.append(
            CaseSpec(
                council_id=council.id,
                reference_prefix=council.reference_prefix,
                service_id=fly_tipping.id,
                service_version_id=fly_tipping.current_version_id,
                service_code="fly_tipping",
                kind="report",
                initial_state="submitted",
                state="submitted",
                is_open=True,
                is_public=True,
                created_at=created,
                updated_at=created,
                lat=lat,
                lng=lng,
                channel="app",
                h3=(
                    h3.latlng_to_cell(lat, lng, 7),
                    h3.latlng_to_cell(lat, lng, 9),
                    h3.latlng_to_cell(lat, lng, 11),
                ),
            )
        )
    cases_bulk_create(specs, actor_label="Planted")
    figures_catch_up()
    at = when + dt.timedelta(minutes=50)
    try:
        found = anomalies_detect(council=council, at=at)
        assert len(found) == 1
        alert = found[0]
        assert alert.count == 10 and alert.expected < 0.1 and alert.probability < 1e-6
        event = Event.objects.get(kind="insights.anomaly_detected", stream_id=alert.id)
        assert event.council_id == council.id and event.visibility == "internal"
        assert event.payload["service_code"] == "fly_tipping"
        assert event.payload["explanation"].startswith("10 fly-tipping reports in one area")
        assert "expected" in event.payload["explanation"]
        # Looking again within the hour updates the same alert: the team hears once.
        assert anomalies_detect(council=council, at=at + dt.timedelta(minutes=5)) == []
        board = dashboard_get(council=council, filters=YEAR)
        assert [a.id for a in board.anomalies] == [alert.id]
    finally:
        Case.objects.filter(
            council=council,
            created_at__gte=when,
            created_at__lt=when + dt.timedelta(hours=1),
            service=fly_tipping,
            channel="app",
            lat__gte=42.3016,
            lat__lte=42.3035,
        ).delete()
