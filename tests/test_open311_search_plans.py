"""Every documented Open311 search filter combination is served by an index (issue 24, ADR 221).

The plans are read from the database itself (EXPLAIN), on SQLite and, when the suite runs with
DATABASE_URL set to PostgreSQL, on PostgreSQL, over 30,000 cases shaped like a large council's
(a service is one case in fifty, one case in ten is open, two years of dates, many map cells)
and with the planner's statistics gathered (ANALYZE), as `townsquare generate` and imports
leave them: on a handful of rows every plan looks alike and the test would prove nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection

from townsquare.cases.models import Case
from townsquare.cases.selectors import PublicSearch, public_search_queryset
from townsquare.catalogue.models import ServiceTemplate
from townsquare.geo.points import Point

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
WINDOW = {"created_from": NOW - dt.timedelta(days=90), "created_before": NOW}
SERVICE = {"service_codes": ("pothole",)}  # both test councils have it

# Each documented combination, and the index that must serve it (None: any index, as long as
# the cases table is searched through one and never read whole).
COMBINATIONS = {
    "status + service_code + dates (the filtered search)": (
        PublicSearch(is_open=True, **SERVICE, **WINDOW),
        "case_service_open_created_idx",
    ),
    "service_code + dates": (PublicSearch(**SERVICE, **WINDOW), "case_service_open_created_idx"),
    "service_code alone": (PublicSearch(**SERVICE), "case_service_open_created_idx"),
    # Open or closed is half the cases or more: the window's index, in order, is the way.
    "status + dates": (PublicSearch(is_open=False, **WINDOW), "case_created_idx"),
    "dates (the default window)": (PublicSearch(**WINDOW), "case_created_idx"),
    "jurisdiction + status + dates": (
        PublicSearch(council_ids=frozenset([1]), is_open=True, **WINDOW),
        "case_council_open_idx",
    ),
    "jurisdiction + service_code + dates": (
        PublicSearch(council_ids=frozenset([1]), **SERVICE, **WINDOW),
        "case_service_open_created_idx",
    ),
    "updated_after": (
        PublicSearch(updated_after=NOW - dt.timedelta(hours=1)),
        "case_updated_idx",
    ),
    "updated_after + updated_before + status": (
        PublicSearch(updated_after=NOW - dt.timedelta(hours=1), updated_before=NOW, is_open=True),
        "case_updated_idx",
    ),
    "bbox + dates": (
        PublicSearch(bbox=(-2.62, 51.44, -2.58, 51.47), **WINDOW),
        "case_h3_map_idx",
    ),
    "service_request_id (ids)": (PublicSearch(references=("TST-26-000001", "TST-26-000002")), None),
}


ROWS = 30_000
SERVICES = 60


def _fill(council, other_council) -> None:
    """Copies of one case, in one INSERT ... SELECT, with the spread of a real database."""
    from tests.open311_support import seed_case

    seed = seed_case(council, at=NOW - dt.timedelta(days=3))
    pothole = seed.service_id
    # A council offers dozens of services: copies of one of them, for the planner to count.
    template = ServiceTemplate.objects.exclude(id=pothole).filter(council=council).first()
    extra = []
    for i in range(SERVICES):
        template.pk, template.code = None, f"extra-{i}"
        template.save()
        extra.append(template.pk)
    assert extra == list(range(extra[0], extra[0] + SERVICES))
    fields = [
        f.column
        for f in Case._meta.concrete_fields
        if f.column not in ("id", "reference", "service_id", "is_open", "created_at")
        and f.column not in ("updated_at", "h3_r7", "h3_r9")
    ]
    if connection.vendor == "postgresql":
        created = "TIMESTAMPTZ '2026-11-01' - (g.n %% 730) * INTERVAL '1 day'"
        updated = f"{created} + (g.n %% 5) * INTERVAL '1 day'"
    else:
        created = "datetime('2026-11-01', '-' || (g.n %% 730) || ' days')"
        updated = (
            "datetime('2026-11-01', '-' || (g.n %% 730) || ' days', '+' || (g.n %% 5) || ' days')"
        )
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(c) for c in [*fields, "reference", "service_id", "is_open", "created_at"]
    )
    copies = ", ".join(
        [
            *[f"s.{quote(c)}" for c in fields],
            "'X' || g.n",
            f"CASE WHEN g.n %% 50 = 0 THEN {pothole} ELSE {extra[0]} + g.n %% {SERVICES} END",
            "g.n %% 10 = 0",
            created,
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO cases_case ({columns}, updated_at, h3_r7, h3_r9) "  # noqa: S608 - our own names
            f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {ROWS}) "
            f"SELECT {copies}, {updated}, "
            "CASE WHEN g.n %% 400 = 0 THEN s.h3_r7 ELSE g.n %% 3001 END, "
            "CASE WHEN g.n %% 400 = 0 THEN s.h3_r9 ELSE g.n %% 20011 END "
            "FROM cases_case s, g WHERE s.id = %s",
            [seed.id],
        )
        cursor.execute("ANALYZE")
    assert other_council.id  # the second council's pothole service is found by code too


def _plan(search: PublicSearch) -> str:
    return public_search_queryset(search=search)[:1001].explain()


def _reads_whole_table(plan: str) -> bool:
    if connection.vendor == "postgresql":
        return "Seq Scan on cases_case" in plan
    # SQLite: "SCAN cases_case" reads every row; "SCAN cases_case USING INDEX x" reads every
    # entry of an index, which at a million cases is no better.
    return any(line.strip().startswith("SCAN cases_case") for line in plan.splitlines()) or any(
        "SCAN cases_case" in line for line in plan.splitlines()
    )


@pytest.mark.django_db(transaction=False)
def test_each_documented_filter_combination_is_served_by_an_index(council, other_council):
    # Both councils offer a pothole service: one code, several service ids.
    _fill(council, other_council)
    wrong = []
    for name, (search, index) in COMBINATIONS.items():
        if search.council_ids:
            # The council of this test: ids are not 1 on a database whose sequences other
            # tests have moved on (PostgreSQL), and another id finds no service, so no query.
            search = dataclasses.replace(search, council_ids=frozenset([council.id]))
        plan = _plan(search)
        if _reads_whole_table(plan) or (index is not None and index not in plan):
            wrong.append(f"{name}: expected {index or 'an index'}, planned\n{plan}")
    assert not wrong, "\n\n".join(wrong)


def test_a_radius_search_finds_its_cases_through_the_cell_index(council, other_council):
    """lat/long/radius: H3 cells first, then the box, from the covering cell index."""
    from townsquare.cases.selectors import h3_cells_covering_radius

    _fill(council, other_council)
    cells = h3_cells_covering_radius(Point(51.45, -2.6), 500, 9)
    queryset = Case.objects.filter(
        h3_r9__in=cells, lat__range=(51.44, 51.46), lng__range=(-2.61, -2.59)
    ).values_list("id", "lat", "lng")
    assert "case_h3_r9_idx" in queryset.explain()
