from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from townsquare.cases.models import Case
from townsquare.core import clock
from townsquare.staff.models import SavedView

pytestmark = pytest.mark.django_db


def refs(response) -> list[str]:
    return re.findall(r'href="/staff/cases/([A-Z]{3}-\d\d-\d+)"', response.content.decode())


def test_queue_lists_only_the_current_councils_cases(council, other_council, report, staff_client):
    mine = report()
    theirs = report(lat=51.5, lng=0.5, target=other_council)
    client = staff_client("agent")
    page = client.get("/staff/cases/")
    assert page.status_code == 200
    assert refs(page) == [mine.reference]
    assert theirs.reference not in page.content.decode()
    # Another council's case is "not found", not "forbidden".
    assert client.get(f"/staff/cases/{theirs.reference}").status_code == 404


def test_filters_sorting_counts_and_paging(council, report, staff_client):
    client = staff_client("agent")
    cases = [report() for _ in range(7)]
    Case.objects.filter(pk=cases[0].pk).update(
        resolve_due_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    Case.objects.filter(pk=cases[1].pk).update(assignee=client.user)
    page = client.get("/staff/cases/?per_page=25").content.decode()
    assert "Showing <strong>1</strong> to <strong>7</strong> of <strong>7</strong>" in page
    assert re.search(r'Overdue</a>\s*<span class="ts-count"[^>]*>1<', page)
    assert re.search(r'Assigned to me</a>\s*<span class="ts-count"[^>]*>1<', page)

    overdue = client.get("/staff/cases/?sla=overdue")
    assert refs(overdue) == [cases[0].reference]
    assert "Overdue" in overdue.content.decode()
    assert refs(client.get("/staff/cases/?assigned=me")) == [cases[1].reference]
    assert refs(client.get("/staff/cases/?sort=oldest"))[0] == cases[0].reference
    assert refs(client.get("/staff/cases/?sort=newest"))[0] == cases[-1].reference
    assert refs(client.get(f"/staff/cases/?q={cases[3].reference}")) == [cases[3].reference]
    assert refs(client.get("/staff/cases/?status=closed")) == []


def test_bad_filters_are_explained_not_failed(council, report, staff_client):
    client = staff_client("agent")
    report()
    page = client.get("/staff/cases/?from=31/12/2026&sla=bogus&page=abc&per_page=7")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Enter the date as YYYY-MM-DD" in text and "Choose overdue, due soon" in text


def test_query_count_does_not_depend_on_page_size(council, report, staff_client, monkeypatch):
    client = staff_client("agent")
    for _ in range(30):
        report()
    # The wall clock held still: queue counts are kept for the minute and the session's idle
    # clock is refreshed once a minute, so a minute turning between two requests (any time, and
    # more often on a loaded runner) would add a query that has nothing to do with page size.
    held = clock.now()
    monkeypatch.setattr(clock, "now", lambda: held)
    client.get("/staff/cases/")  # warm per-process caches
    counts = []
    for size in (25, 100):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/staff/cases/?per_page={size}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_saved_views(council, report, staff_client):
    client = staff_client("agent")
    report()
    response = client.post(
        "/staff/cases/views", {"name": "My overdue", "query": "sla=overdue&sort=due"}
    )
    assert response.status_code == 302
    view = SavedView.objects.get(user=client.user)
    assert view.query == {"sla": "overdue", "sort": "due"}
    page = client.get("/staff/cases/").content.decode()
    assert "My overdue" in page
    assert client.post("/staff/cases/views", {"name": "", "query": ""})["Location"].endswith(
        "save_error=name"
    )
    # Someone else's view cannot be deleted.
    other = staff_client("agent", email="other@testshire.test")
    assert other.post(f"/staff/cases/views/{view.id}/delete").status_code == 404
    assert SavedView.objects.filter(id=view.id).exists()
    client.post(f"/staff/cases/views/{view.id}/delete")
    assert not SavedView.objects.filter(id=view.id).exists()


def test_workload_per_team(council, report, staff_client):
    client = staff_client("agent")
    first = report()
    report()
    Case.objects.filter(pk=first.pk).update(resolve_due_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    page = client.get("/staff/cases/workload").content.decode()
    assert re.search(r"Highways</a></th>\s*<td[^>]*>2</td>\s*<td[^>]*><a[^>]*>1</a>", page)


def test_filters_by_service_ward_team_date_and_priority(council, report, staff_client):
    from townsquare.catalogue.models import ServiceTemplate
    from townsquare.councils.models import Area, Team

    client = staff_client("agent")
    west, east = report(), report(lat=51.5, lng=-1.2)
    application = report(
        service_code="school_transport", values={"child_name": "Alex", "sen": "no"}
    )
    highways = Team.objects.get(council=council, code="highways")
    Case.objects.filter(pk=application.pk).update(team=highways)
    education = Team.objects.get(council=council, code="education")
    Case.objects.filter(pk=east.pk).update(
        team=education, priority=1, created_at=dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    )
    service = ServiceTemplate.objects.get(council=council, code="school_transport")
    ward = Area.objects.get(council=council, name="West ward")

    assert refs(client.get(f"/staff/cases/?service={service.id}")) == [application.reference]
    in_west = refs(client.get(f"/staff/cases/?area={ward.id}"))
    assert west.reference in in_west and east.reference not in in_west
    assert refs(client.get(f"/staff/cases/?team={education.id}")) == [east.reference]
    assert refs(client.get("/staff/cases/?priority=1")) == [east.reference]
    assert refs(client.get("/staff/cases/?from=2026-01-01&to=2026-01-31")) == [east.reference]
    assert east.reference not in refs(client.get("/staff/cases/?from=2026-02-01"))
    # Two filters together narrow; a team of another council matches nothing.
    assert refs(client.get(f"/staff/cases/?team={education.id}&area={ward.id}")) == []


def test_the_queue_gives_the_day_a_case_is_expected_by(council, staff_client):
    from tests.citizen.test_expected_time import _report_made_monday_morning

    _report_made_monday_morning(council)
    page = staff_client("agent").get("/staff/cases/?status=open").content.decode()
    assert '<time datetime="2026-12-04">4 December 2026</time>' in page
