"""The gazetteer: finding councils, wards, streets and places by the name people type.

Council areas and wards come from the boundary data (the registry in selectors.py); streets,
place names and postcodes come from each council's imported CSV (services.places_import_csv).
Pure helpers here; the queries are in selectors.places_matching.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

POSTCODE = re.compile(r"^[a-z]{1,2}[0-9][a-z0-9]? ?[0-9][a-z]{2}$")
# Councils and wards first: someone typing "Bristol" most likely means the city.
KIND_ORDER = {"council": 0, "ward": 1, "postcode": 2, "place": 3, "street": 4, "geocoder": 5}


def normalise(text: str) -> str:
    """Lower case, without accents or punctuation, one space between words; postcodes lose
    their space ("BS1 5TR" and "bs15tr" are the same search)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", " ", folded.lower()).split()
    joined = " ".join(words)
    if POSTCODE.match(joined):
        return joined.replace(" ", "")
    return joined


def match_rank(search_name: str, query: str) -> int | None:
    """0 exact, 1 starts with the query, 2 a word starts with it, 3 contains it; None if not."""
    if not query:
        return None
    if search_name == query:
        return 0
    if search_name.startswith(query):
        return 1
    if f" {query}" in f" {search_name}":
        return 2
    if query in search_name:
        return 3
    return None


@dataclass(frozen=True)
class PlaceMatch:
    """One result of a place search, with where to centre a map on it."""

    kind: str  # council, ward, street, place, postcode or geocoder
    name: str
    council_id: int
    council_slug: str
    council_name: str
    lat: float
    lng: float
    area_id: int | None = None
    # (min_lat, min_lng, max_lat, max_lng) for councils and wards, to frame them on a map.
    bounds: tuple[float, float, float, float] | None = None
    rank: int = 3
    # Stands for this place in a form ("council:ID", "ward:ID", "place:ID"): place_by_key.
    key: str = ""

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.rank, KIND_ORDER.get(self.kind, 9), self.name.lower())
