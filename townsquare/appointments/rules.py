"""Pure rules of live queues: expected times, who is told, replies, quiet hours. No ORM."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WAITING = ("booked", "checked_in")
# How many of the latest people seen tell the pace of the session.
RECENT_SEEN = 5


@dataclass(frozen=True)
class Waiting:
    id: int
    queue_at: dt.datetime
    status: str


def minutes_per_person(seen_times: Sequence[dt.datetime], *, slot_minutes: int) -> float:
    """The session's recent pace: the mean gap between the last few people seen, never less
    than a third of a slot (a burst of "seen" taps is not a pace), the slot length until two
    people were seen."""
    recent = sorted(seen_times)[-RECENT_SEEN:]
    if len(recent) < 2:
        return float(slot_minutes)
    gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(recent)]
    return max(slot_minutes / 3, sum(gaps) / len(gaps))


def expected_times(
    waiting: Iterable[Waiting],
    *,
    now: dt.datetime,
    starts_at: dt.datetime,
    delay_minutes: int,
    pace_minutes: float,
) -> dict[int, dt.datetime]:
    """Each waiting person's expected time: their place in the queue plus the delay, and no
    sooner than the people before them can be seen at the session's pace."""
    free_at = max(now, starts_at)
    delay = dt.timedelta(minutes=delay_minutes)
    pace = dt.timedelta(minutes=pace_minutes)
    expected = {}
    for person in sorted(waiting, key=lambda w: (w.queue_at, w.id)):
        at = max(person.queue_at + delay, free_at)
        # Whole minutes: a text saying 10:41:27 helps nobody.
        at = at.replace(second=0, microsecond=0)
        expected[person.id] = at
        free_at = at + pace
    return expected


def moved_enough(*, told: dt.datetime, expected: dt.datetime, threshold_minutes: int) -> bool:
    return abs((expected - told).total_seconds()) >= threshold_minutes * 60


def quiet_hours(spec: str) -> tuple[dt.time, dt.time] | None:
    spec = (spec or "").strip()
    if not spec:
        return None
    start, end = spec.split("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def is_night(now: dt.datetime, *, spec: str, zone: str) -> bool:
    """Inside the quiet hours ("21:00-08:00", local time), when nobody is texted."""
    hours = quiet_hours(spec)
    if hours is None:
        return False
    start, end = hours
    local = now.astimezone(ZoneInfo(zone)).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end


@dataclass(frozen=True)
class Reply:
    word: str  # ok, cancel, late
    minutes: int = 0


_LATE = re.compile(r"^(?:late|hwyr)\s*(\d{1,3})?\s*(?:min(?:ute)?s?|munud)?$")
LATE_DEFAULT_MINUTES = 15
LATE_MAX_MINUTES = 180


def reply_read(text: str) -> Reply | None:
    """What a text back says: OK, CANCEL or LATE <minutes> (Welsh too: IAWN, CANSLO, HWYR);
    None when it is none of these."""
    words = re.sub(r"[^\w\s]", " ", (text or "").strip().lower()).split()
    cleaned = " ".join(words)
    if cleaned in ("ok", "okay", "yes", "iawn", "ie"):
        return Reply("ok")
    if cleaned in ("cancel", "canslo"):
        return Reply("cancel")
    match = _LATE.match(cleaned)
    if match:
        minutes = int(match.group(1)) if match.group(1) else LATE_DEFAULT_MINUTES
        return Reply("late", max(1, min(minutes, LATE_MAX_MINUTES)))
    return None


def phone_key(number: str) -> str:
    """The last ten digits: 07700 900123 and +44 7700 900123 are one number."""
    digits = re.sub(r"\D", "", number or "")
    return digits[-10:]
