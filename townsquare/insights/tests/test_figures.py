"""Figures kept from the event log equal a full recount, whatever happens to the cases."""

from __future__ import annotations

import datetime as dt

import pytest

from townsquare.accounts.principal import Principal
from townsquare.cases.services import case_assign, case_create, case_transition
from townsquare.councils.models import Team
from townsquare.geo.points import Point
from townsquare.insights.figures import figures_catch_up, figures_position, figures_rebuild
from townsquare.insights.models import CellFigure, CouncilCellFigure, DailyFigure
from townsquare.insights.selectors import Filters, dashboard_get

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[list, list]:
    daily = sorted(
        (
            f.council_id,
            f.day,
            f.service_id,
            f.team_id,
            f.opened,
            f.closed,
            f.closed_on_time,
            f.closed_with_target,
            sorted((k, v) for k, v in f.close_hours.items()),
        )
        for f in DailyFigure.objects.all()
        if f.opened or f.closed
    )
    cells = sorted(
        (f.council_id, f.month, f.service_id, f.team_id, f.cell, f.opened)
        for f in CellFigure.objects.all()
        if f.opened
    )
    council_cells = sorted(
        (f.council_id, f.month, f.cell, f.opened)
        for f in CouncilCellFigure.objects.all()
        if f.opened
    )
    return daily, cells, council_cells


def test_incremental_figures_equal_a_recount(council, supervisor):
    made = [
        case_create(
            service_code="pothole",
            actor=Principal.anonymous(),
            point=Point(51.5 + i * 0.05, -1.5),
            values={"depth": "deep"},
        )
        for i in range(6)
    ]
    figures_catch_up()
    case_transition(case=made[0], to_state="fixed", actor=supervisor)
    case_transition(case=made[1], to_state="in_progress", actor=supervisor)
    education = Team.objects.get(council=council, code="education")
    case_assign(case=made[2], team=education, actor=supervisor)
    figures_catch_up()
    case_transition(case=made[1], to_state="fixed", actor=supervisor)
    figures_catch_up()
    figures_catch_up()  # nothing new: nothing changes
    incremental = _snapshot()
    figures_rebuild()
    assert _snapshot() == incremental
    today = dt.date.today()
    board = dashboard_get(council=council, filters=Filters(today - dt.timedelta(days=6), today))
    assert board.totals.opened == 6 and board.totals.closed == 2
    assert board.backlog[-1][1] == 4
    assert sum(n for _, n in board.cells) == 6


def test_a_dashboard_reads_new_events_before_answering(council, supervisor):
    today = dt.date.today()
    period = Filters(today - dt.timedelta(days=1), today)
    assert dashboard_get(council=council, filters=period).totals.opened == 0
    case_create(
        service_code="pothole",
        actor=Principal.anonymous(),
        point=Point(51.5, -1.5),
        values={"depth": "deep"},
    )
    before = figures_position()
    assert dashboard_get(council=council, filters=period).totals.opened == 1
    assert figures_position() > before
