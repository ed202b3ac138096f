"""Service level due times from a template's SLA (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def due_times(sla: dict[str, Any], created_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(first response due, close due). Elapsed hours for now; working hours come with queues."""
    return (created_at + dt.timedelta(hours=sla["first_response_hours"]),
            created_at + dt.timedelta(hours=sla["close_hours"]))
