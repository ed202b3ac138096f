"""Likely duplicates: earlier reports ranked by place, time and words together, each with
the reasons shown (issue 19). Pure scoring here; the selector finds the candidates and
evaluation.duplicate_figures measures it on Boston's cases closed as duplicates.

Place and time alone flag many reports that are not duplicates (a street of broken lights,
a week of graffiti in one square): the words and the service must agree too, so the score is
a weighted sum and a candidate is suggested only above MIN_SCORE (tuned on the first half of
Boston's 2015, measured on the second: see the model card).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

RADIUS_M = 250.0
WINDOW_DAYS = 30.0
# Score = (place + time + words + service) / 3, each part as below. Chosen on Boston 2015's
# first half among a grid of scales and weights (the model card), as the lowest threshold that
# suggests anything for at most 10% of non-duplicates.
PLACE_SCALE_M = 20.0  # exp(-metres / 20): 1 on the spot, 0.37 at 20 m, 0.08 at 50 m
TIME_SCALE_DAYS = 10.0
WEIGHTS = {"place": 1.0, "time": 0.5, "words": 0.5, "service": 1.0}
MIN_SCORE = 0.728

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "there",
        "this",
        "to",
        "was",
        "were",
        "with",
        "near",
        "outside",
        "by",
        "my",
        "our",
        "i",
        "we",
        "it's",
        "been",
        "not",
        "no",
        "very",
        "please",
    ]
)


def words_of(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    # Equirectangular: exact enough within a few hundred metres, and cheap.
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000 * math.hypot(x, y)


@dataclass(frozen=True)
class Report:
    """What a score needs of a report (a case, or a row of Boston's files)."""

    key: object
    lat: float
    lng: float
    at: dt.datetime
    service: str
    words: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Match:
    key: object
    score: float
    distance_m: float
    days_before: float
    shared_words: list[str]
    same_service: bool


def score(new: Report, earlier: Report) -> Match | None:
    """How likely `earlier` is the report `new` repeats; None when too far in place or time."""
    metres = distance_m(new.lat, new.lng, earlier.lat, earlier.lng)
    days = (new.at - earlier.at).total_seconds() / 86400
    if metres > RADIUS_M or not 0 <= days <= WINDOW_DAYS:
        return None
    shared = new.words & earlier.words
    union = new.words | earlier.words
    words = len(shared) / len(union) if union else 0.0
    same = new.service == earlier.service
    total = (
        WEIGHTS["place"] * math.exp(-metres / PLACE_SCALE_M)
        + WEIGHTS["time"] * math.exp(-days / TIME_SCALE_DAYS)
        + WEIGHTS["words"] * words
        + WEIGHTS["service"] * same
    ) / sum(WEIGHTS.values())
    return Match(
        key=earlier.key,
        score=round(total, 4),
        distance_m=round(metres),
        days_before=round(days, 1),
        shared_words=sorted(shared)[:5],
        same_service=same,
    )


def rank(new: Report, candidates: list[Report], *, limit: int = 3) -> list[Match]:
    """The best `limit` candidates scoring at least MIN_SCORE, best first."""
    matches = [m for c in candidates if c.key != new.key and (m := score(new, c)) is not None]
    matches = [m for m in matches if m.score >= MIN_SCORE]
    matches.sort(key=lambda m: (-m.score, m.distance_m))
    return matches[:limit]
