"""Staff dashboards: a council's intake, backlog, service levels, times to close, categories
and hotspots over a period, for the whole council, a team or a service; with this period against
the same period last year, a data table and a CSV download beside every chart, anomaly alerts,
and live updates (the figures refresh when the council's events stream in).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.views.decorators.http import require_safe

from townsquare.accounts import policies
from townsquare.core.numbers import whole_number
from townsquare.core.replicas import reads_may_lag
from townsquare.councils.selectors import area_for_point
from townsquare.insights import charts
from townsquare.insights.selectors import (
    Dashboard,
    Filters,
    dashboard_filters,
    dashboard_get,
    default_filters,
)
from townsquare.staff.access import staff_render, staff_view
from townsquare.triage.selectors import acceptance_rates

PRESETS = (("30", "Last 30 days"), ("90", "Last 90 days"), ("365", "Last 12 months"))
TABLES = ("daily", "weekly", "backlog", "categories", "hotspots")
NO_FIGURE = "\u2013"  # an en dash: no figure to show


@dataclass
class FilterForm:
    filters: Filters
    errors: dict[str, str]
    raw: dict[str, str]


def _parse_filters(
    request: HttpRequest, dashboard_defaults: Filters, services: set[int], teams: set[int]
) -> FilterForm:
    raw = {k: request.GET.get(k, "").strip()[:20] for k in ("start", "end", "service", "team")}
    errors: dict[str, str] = {}
    dates: dict[str, dt.date | None] = {}
    for key in ("start", "end"):
        try:
            dates[key] = dt.date.fromisoformat(raw[key]) if raw[key] else None
        except ValueError:
            errors[key] = "Enter a real date, like 2015-12-31"
    if errors:
        # Both dates stay at their defaults while either cannot be read.
        dates = {}
    filters, problems = dashboard_filters(
        defaults=dashboard_defaults,
        services=services,
        teams=teams,
        start=dates.get("start"),
        end=dates.get("end"),
        # Text that is no whole number is no service's or team's id (-1 never is one).
        service_id=(whole_number(raw["service"]) or -1) if raw["service"] else None,
        team_id=(whole_number(raw["team"]) or -1) if raw["team"] else None,
    )
    return FilterForm(filters, {**errors, **problems}, raw)


def _change(now: int, before: int) -> str:
    if not before:
        return "no figures for the same period last year"
    change = 100 * (now - before) / before
    if abs(change) < 0.5:
        return f"the same as the same period last year ({before:,})"
    direction = "more" if change > 0 else "fewer"
    return f"{abs(change):.0f}% {direction} than the same period last year ({before:,})"


def _duration(hours: int | None) -> str:
    if hours is None:
        return NO_FIGURE
    if hours < 48:
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{hours / 24:.1f} days"


def _hotspots(dashboard: Dashboard) -> list[dict]:
    import h3

    rows = []
    for cell, count in dashboard.cells[:15]:
        lat, lng = h3.cell_to_latlng(cell)
        area = area_for_point(council=dashboard.council, lat=lat, lng=lng)
        rows.append(
            {
                "cell": cell,
                "count": count,
                "area": area.name if area else "",
                "lat": round(lat, 4),
                "lng": round(lng, 4),
            }
        )
    return rows


def _context(dashboard: Dashboard, *, charts_too: bool) -> dict:
    """The template context, derived once per dashboard (memoised with it)."""
    key = "staff_charts" if charts_too else "staff_summary"
    if key not in dashboard.derived:
        dashboard.derived[key] = _derive(dashboard, charts_too=charts_too)
    return dashboard.derived[key]


def _derive(dashboard: Dashboard, *, charts_too: bool) -> dict:
    f = dashboard.filters
    t, last = dashboard.totals, dashboard.last_year
    period = f"{f.start:%-d %B %Y} to {f.end:%-d %B %Y}"
    daily = [(d, o) for d, o, _c in dashboard.daily]
    summary = {
        "d": dashboard,
        "period": period,
        "received_change": _change(t.opened, last.opened),
        "closed_change": _change(t.closed, last.closed),
        "median": _duration(t.median_hours),
        "p90": _duration(t.p90_hours),
        "median_last_year": _duration(last.median_hours),
        "sla": f"{t.sla_percent:.1f}%" if t.sla_percent is not None else NO_FIGURE,
        "sla_last_year": f"{last.sla_percent:.1f}%" if last.sla_percent is not None else NO_FIGURE,
        "open_at_end": dashboard.backlog[-1][1] if dashboard.backlog else 0,
    }
    if not charts_too:
        return summary
    return {
        **summary,
        "daily_chart": charts.bar_chart(
            "daily",
            "Reports received per day",
            f"Bar chart of reports received each day, "
            f"{period}. The same figures are in the table below the chart.",
            daily,
        ),
        "weekly_chart": charts.bar_chart(
            "weekly",
            "Reports received per week",
            f"Bar chart of reports received each week (weeks start on Monday), {period}.",
            dashboard.weekly,
        ),
        "backlog_chart": charts.line_chart(
            "backlog",
            "Open reports at the end of each day",
            f"Line chart of reports still open at the end of each day, {period}.",
            [("Open reports", charts.BLUE, dashboard.backlog)],
        ),
        "hex_chart": charts.hex_map(
            "hotspots",
            "Where reports came from",
            "Map of hexagons about 0.7 square "
            "kilometres each, darker where more reports were made. The busiest are listed in "
            "the table.",
            dashboard.cells,
        ),
        "hex_legend": charts.legend_classes(dashboard.cells),
        "hotspots": _hotspots(dashboard),
        "categories": [
            {
                "row": c,
                "median": _duration(c.median_hours),
                "p90": _duration(c.p90_hours),
                "sla": f"{c.sla_percent:.0f}%" if c.sla_percent is not None else NO_FIGURE,
            }
            for c in dashboard.categories
        ],
        "tables": TABLES,
    }


def _csv(dashboard: Dashboard, table: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if table == "daily":
        writer.writerow(["day", "received", "closed"])
        writer.writerows((d.isoformat(), o, c) for d, o, c in dashboard.daily)
    elif table == "weekly":
        writer.writerow(["week_starting", "received"])
        writer.writerows((d.isoformat(), o) for d, o in dashboard.weekly)
    elif table == "backlog":
        writer.writerow(["day", "open_at_end_of_day"])
        writer.writerows((d.isoformat(), n) for d, n in dashboard.backlog)
    elif table == "categories":
        writer.writerow(
            [
                "service",
                "received",
                "received_same_period_last_year",
                "closed",
                "median_hours_to_close",
                "p90_hours_to_close",
                "closed_within_target_percent",
            ]
        )
        for c in dashboard.categories:
            writer.writerow(
                [
                    _safe(c.name),
                    c.opened,
                    c.opened_last_year,
                    c.closed,
                    c.median_hours if c.median_hours is not None else "",
                    c.p90_hours if c.p90_hours is not None else "",
                    f"{c.sla_percent:.1f}" if c.sla_percent is not None else "",
                ]
            )
    else:
        writer.writerow(["h3_cell", "received"])
        writer.writerows(dashboard.cells)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    f = dashboard.filters
    response["Content-Disposition"] = (
        f'attachment; filename="{dashboard.council.slug}-{table}-{f.start}-{f.end}.csv"'
    )
    return response


def _safe(text: str) -> str:
    # Service names are typed by council admins: keep spreadsheets from running them.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_safe
@staff_view(policies.is_staff_of)
@reads_may_lag()  # figures a moment old are fine (ADR 231)
def dashboard(request: HttpRequest) -> HttpResponse:
    council = request.staff.council
    defaults = default_filters(council=council)
    probe = dashboard_get(council=council, filters=defaults)
    form = _parse_filters(
        request, defaults, {s for s, _ in probe.services}, {t for t, _ in probe.teams}
    )
    board = dashboard_get(council=council, filters=form.filters)
    table = request.GET.get("download", "")
    if table:
        if table not in TABLES:
            return HttpResponse("Unknown table", status=404, content_type="text/plain")
        return _csv(board, table)
    query = request.GET.copy()
    for key in ("fragment", "download"):
        query.pop(key, None)
    presets = []
    for days, label in PRESETS:
        preset = query.copy()
        preset["start"] = (defaults.end - dt.timedelta(days=int(days) - 1)).isoformat()
        preset["end"] = defaults.end.isoformat()
        presets.append((label, preset.urlencode()))
    fragment = request.GET.get("fragment", "")
    context = {
        **_context(board, charts_too=fragment != "summary"),
        "form": form,
        "presets": presets,
        "query": query.urlencode(),
    }
    if fragment != "summary":
        # The charts and tables are the same for everyone looking at these figures with
        # these filters: render them once per figures position.
        key = ("figures_html", context["query"])
        if key not in board.derived:
            board.derived[key] = render_to_string("staff/dashboards/figures.html", context)
        context["figures_html"] = board.derived[key]
    if fragment == "figures":
        return HttpResponse(context["figures_html"])
    if fragment == "summary":
        return render(request, "staff/dashboards/summary.html", context)
    context["suggestion_rates"] = acceptance_rates(
        principal=request.staff.principal, council_id=council.id
    )
    return staff_render(
        request, "staff/dashboards/dashboard.html", context, status=400 if form.errors else 200
    )


urlpatterns = [path("", dashboard, name="dashboard")]
