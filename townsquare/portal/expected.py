"""How long the council aims to take, and by when, in words a resident reads, counted as the
service's SLA counts it (cases/sla.py): working days unless the template's calendar says
otherwise. Every citizen page that says "Expected by" or "That is by" uses `expected_by_context`."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils.translation import get_language, ngettext

from townsquare.cases.sla import expected_by, region_for_gss
from townsquare.core.dates import date_in_words


def expected_within(sla: dict[str, Any]) -> str:
    """For example "within 5 working days"."""
    hours = sla["close_hours"]
    calendar = sla.get("calendar", "working_days")
    if calendar == "elapsed":
        if hours < 48:
            count = max(1, math.ceil(hours))
            return ngettext("within %(count)d hour", "within %(count)d hours", count) % {
                "count": count
            }
        days = math.ceil(hours / 24)
        return ngettext("within %(days)d day", "within %(days)d days", days) % {"days": days}
    # working_days counts 24 hours a working day; office_hours counts 8 (09:00 to 17:00).
    count = max(1, math.ceil(hours / (8 if calendar == "office_hours" else 24)))
    return ngettext("within %(count)d working day", "within %(count)d working days", count) % {
        "count": count
    }


def expected_by_context(
    due_at: dt.datetime | None, *, is_open: bool, sla: dict[str, Any], gss_code: str
) -> dict[str, Any]:
    """What the pages say a case is expected by, from its close target: the last working day
    the target falls on (cases.sla.expected_by), in the page's language. Empty when the case
    is closed or has no target. `expected_on` is the ISO date, for `<time datetime>`."""
    if due_at is None or not is_open:
        return {"expected_on": "", "expected_by": ""}
    region = region_for_gss(gss_code)
    day = expected_by(due_at, calendar=sla.get("calendar", "working_days"), region=region)
    return {"expected_on": day.isoformat(), "expected_by": date_in_words(day, get_language())}
