"""How long the council aims to take, in words a resident reads, counted as the service's SLA
counts it (cases/sla.py): working days unless the template's calendar says otherwise."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import ngettext


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
