"""The gazetteer: finding councils, wards, streets, places and postcodes by what people type.

Council areas and wards come from the boundary data (the registry in selectors.py); streets,
place names and postcodes come from each council's imported rows (services.places_import).
This module is pure: how names are folded, how a query is read, and `NameIndex`, the
per-council search structure that selectors.places_matching keeps in memory (ADR 56).

Ranking, best first (ADR 56):
0. the exact name ("Mill Lane"; "kirkstall rd" is Kirkstall Road: abbreviations are read as
   the words they stand for);
1. a name that starts with what was typed ("kirkstall ro");
2. the words typed appear in the name ("mill lane" in "Old Mill Lane");
3. the same, with a spelling slip of a letter or two ("kirkstal road");
4. loose: the whole name, with words typed that match nothing about the place ("mill lane
   kirkstall", "the mill lane"); shown only when nothing better is found.
Words after the name pick among places of the same name by their area ("Mill Lane, Otley
LS21"); a postcode resolves to its point (a unit), its sector or its district.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# A full postcode unit, once folded ("bs15tr"), and the parts of a partial one as typed.
POSTCODE = re.compile(r"^[a-z]{1,2}[0-9][a-z0-9]? ?[0-9][a-z]{2}$")
_POSTCODE_TYPED = re.compile(r"^([a-z]{1,2}[0-9][a-z0-9]?)(?: ?([0-9])([a-z]{0,2}))?$")
_UNIT = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_SECTOR = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ([0-9])$")
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")

# Councils and wards first: someone typing "Bristol" most likely means the city.
KIND_ORDER = {
    "council": 0,
    "ward": 1,
    "postcode": 2,
    "postcode_sector": 2,
    "postcode_district": 2,
    "place": 3,
    "street": 4,
    "geocoder": 5,
}
POSTCODE_KINDS = frozenset({"postcode", "postcode_sector", "postcode_district"})

# Common abbreviations in street names, read as the words they stand for (and the words
# as their abbreviations, for names stored abbreviated: "St Mark's Road").
ABBREVIATIONS = {
    "rd": "road",
    "st": "street",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "cres": "crescent",
    "cresc": "crescent",
    "dr": "drive",
    "gdns": "gardens",
    "gdn": "garden",
    "gr": "grove",
    "gro": "grove",
    "pl": "place",
    "sq": "square",
    "ter": "terrace",
    "terr": "terrace",
    "tce": "terrace",
    "cl": "close",
    "ct": "court",
    "pk": "park",
    "hts": "heights",
    "mt": "mount",
    "vw": "view",
    "wk": "walk",
    "bldgs": "buildings",
    "est": "estate",
    "ind": "industrial",
    "cott": "cottages",
    "cotts": "cottages",
    "grn": "green",
    "hl": "hill",
    "pde": "parade",
    "rdg": "ridge",
    "bvd": "boulevard",
    "blvd": "boulevard",
    "cswy": "causeway",
    "sth": "south",
    "nth": "north",
    "gt": "great",
    "lt": "little",
    "upr": "upper",
    "lwr": "lower",
}
_ALTERNATIVES: dict[str, frozenset[str]] = {}
for _short, _long in ABBREVIATIONS.items():
    _ALTERNATIVES[_short] = _ALTERNATIVES.get(_short, frozenset({_short})) | {_long}
    _ALTERNATIVES[_long] = _ALTERNATIVES.get(_long, frozenset({_long})) | {_short}
_ALTERNATIVES["saint"] = frozenset({"saint", "st"})
_ALTERNATIVES["st"] = _ALTERNATIVES["st"] | {"saint"}
_ALTERNATIVES["and"] = frozenset({"and"})

EXACT, PREFIX, WORDS, FUZZY, LOOSE = 0, 1, 2, 3, 4
_APOSTROPHES = re.compile(r"['`]")
_HOUSE_NUMBER = re.compile(r"^[0-9]+[a-z]?$")
_NOT_LETTERS_OR_DIGITS = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, without accents, apostrophes or other punctuation; one space between words
    ("St Mark's Road" is "st marks road"; "&" is "and")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _APOSTROPHES.sub("", text.replace("&", " and ").lower())
    return " ".join(_NOT_LETTERS_OR_DIGITS.sub(" ", text).split())


def normalise(text: str) -> str:
    """What a name is searched by: `fold`, and a full postcode without its space ("BS1 5TR"
    and "bs15tr" are the same search)."""
    joined = fold(text)
    if POSTCODE.match(joined):
        return joined.replace(" ", "")
    return joined


def postcode_kind(name: str) -> tuple[str, str] | None:
    """("postcode" | "postcode_sector" | "postcode_district", the name written as Royal Mail
    writes it) for a postcode unit, sector or district; None for anything else."""
    text = " ".join(name.upper().split())
    if unit := _UNIT.match(text):
        return "postcode", f"{unit[1]} {unit[2]}"
    if _SECTOR.match(text):
        return "postcode_sector", text
    if _DISTRICT.match(text):
        return "postcode_district", text
    return None


@dataclass(frozen=True)
class PlaceMatch:
    """One result of a place search, with where to centre a map on it."""

    kind: str  # council, ward, street, place, postcode(_sector, _district) or geocoder
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
    # Where the name is, to tell apart places of one name: "Horsforth LS18" for a street,
    # the ward for a postcode.
    qualifier: str = ""
    # Whose data this is, to be shown where it is used (the council's gazetteer licence).
    attribution: str = ""
    # Breaks ties between results of one rank: better locality match, then the order found.
    order: tuple = (0, 0)

    @property
    def label(self) -> str:
        """The name as shown in a list of results: "Mill Lane, Horsforth LS18"."""
        return f"{self.name}, {self.qualifier}" if self.qualifier else self.name

    @property
    def sort_key(self) -> tuple:
        return (
            self.rank,
            *self.order,
            KIND_ORDER.get(self.kind, 9),
            self.name.lower(),
            self.qualifier.lower(),
        )


# The in-memory index.


@dataclass(frozen=True)
class Query:
    """A search as typed, read once: its words and, when it looks like one, a postcode."""

    words: tuple[str, ...]
    postcode_outward: str = ""
    postcode_sector: str = ""  # the digit after the outward code
    postcode_unit_start: str = ""  # the letters typed after it (0 to 2)

    @classmethod
    def read(cls, text: str) -> Query:
        folded = fold(text)
        parts = _POSTCODE_TYPED.match(folded)
        if parts is None:
            return cls(words=tuple(folded.split()))
        return cls(
            words=tuple(folded.split()),
            postcode_outward=parts[1],
            postcode_sector=parts[2] or "",
            postcode_unit_start=parts[3] or "",
        )


@dataclass
class _Hit:
    index: int
    rank: int
    # (0 when the words after the name matched its area or there were none, else 1;
    #  0 the whole name, 1 its first words, 2 words within it): ties within a rank.
    order: tuple[int, int] = (0, 0)


@dataclass
class NameIndex:
    """One council's streets, places and postcodes, searchable in memory.

    Built from (id, kind, name, qualifier) rows, folding names itself (so a change to how
    names are folded needs no migration). Holds words, not whole rows: the results' names
    and points are read from the database by id.
    """

    # Held compactly (arrays of numbers, each word once): a city's 40,000 names and
    # postcodes take a few megabytes.
    ids: array = field(default_factory=lambda: array("q"))
    kinds: list[str] = field(default_factory=list)
    names: list[tuple[str, ...]] = field(default_factory=list)
    areas: list[tuple[str, ...]] = field(default_factory=list)
    # Word -> entries whose name (or area) holds it.
    name_postings: dict[str, array] = field(default_factory=dict)
    area_postings: dict[str, array] = field(default_factory=dict)
    # Every word, sorted (for prefixes), and by each one-letter deletion (for slips: the
    # words, space-separated, so that one word costs no list of its own).
    vocabulary: list[str] = field(default_factory=list)
    deletions: dict[str, str] = field(default_factory=dict)
    # Postcodes by their search name ("bs15tr", "bs1 5", "bs1"); units sorted for prefixes.
    postcodes: dict[str, int] = field(default_factory=dict)
    postcodes_repeated: dict[str, list[int]] = field(default_factory=dict)
    units: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, rows: Iterable[tuple[int, str, str, str]]) -> NameIndex:
        index = cls()
        words: dict[str, str] = {}  # each word once, shared by every name holding it
        areas_folded: dict[str, tuple[str, ...]] = {}
        for place_id, kind, name_as_given, qualifier in rows:
            position = len(index.ids)
            index.ids.append(place_id)
            search_name = normalise(name_as_given)
            if kind in POSTCODE_KINDS:
                # Sectors and districts held as "postcode" by older imports: by their shape.
                kind = (postcode_kind(name_as_given) or (kind, ""))[0]
            index.kinds.append(kind)
            if kind in POSTCODE_KINDS:
                # Found by the postcode maps alone; their own order is kept when sorting.
                index.names.append(())
                index.areas.append(())
                if search_name in index.postcodes:
                    index.postcodes_repeated.setdefault(search_name, []).append(position)
                else:
                    index.postcodes[search_name] = position
                    if kind == "postcode":
                        index.units.append(search_name)
                continue
            name = tuple(words.setdefault(word, word) for word in search_name.split())
            area = areas_folded.get(qualifier)
            if area is None:  # areas repeat: fold and hold each once
                area = tuple(words.setdefault(word, word) for word in fold(qualifier).split())
                areas_folded[qualifier] = area
            index.names.append(name)
            index.areas.append(area)
            for word in set(name):
                index.name_postings.setdefault(word, array("i")).append(position)
            for word in set(area):
                index.area_postings.setdefault(word, array("i")).append(position)
        index.units.sort()
        index.vocabulary = sorted(words)
        for word in index.vocabulary:
            if len(word) >= 4:
                for deleted in _deletions(word):
                    held = index.deletions.get(deleted)
                    index.deletions[deleted] = word if held is None else f"{held} {word}"
        return index

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, query: Query, *, limit: int, loose: bool = True
    ) -> list[tuple[int, int, tuple]]:
        """(place id, rank, tie-breaker) of the best `limit` matches, best first. Loose
        matches (a whole name typed, with words that match nothing about it) only when there
        is nothing better, and never with `loose=False`."""
        hits = self._postcode_hits(query) + self._name_hits(query.words)
        if not loose or any(hit.rank < LOOSE for hit in hits):
            hits = [hit for hit in hits if hit.rank < LOOSE]
        hits.sort(
            key=lambda hit: (
                hit.rank,
                hit.order,
                KIND_ORDER[self.kinds[hit.index]],
                self.names[hit.index],
                self.areas[hit.index],
            )
        )
        seen: set[int] = set()
        found = []
        for hit in hits:
            if hit.index not in seen:
                seen.add(hit.index)
                found.append((self.ids[hit.index], hit.rank, hit.order))
            if len(found) >= limit:
                break
        return found

    # Postcodes.

    def _postcode_hits(self, query: Query) -> list[_Hit]:
        outward, sector, unit_start = (
            query.postcode_outward,
            query.postcode_sector,
            query.postcode_unit_start,
        )
        if not outward:
            return []
        if len(unit_start) == 2:
            exact = self._postcode(f"{outward}{sector}{unit_start}")
            if exact:
                return [_Hit(i, EXACT) for i in exact]
            # An unknown unit (a new or mistyped postcode): its sector, then its district.
            near = self._postcode(f"{outward} {sector}") or self._postcode(outward)
            return [_Hit(i, WORDS) for i in near]
        if unit_start:
            start = f"{outward}{sector}{unit_start}"
            at = bisect.bisect_left(self.units, start)
            found: list[_Hit] = []
            while at < len(self.units) and self.units[at].startswith(start) and len(found) < 50:
                found.extend(_Hit(i, PREFIX) for i in self._postcode(self.units[at]))
                at += 1
            return found
        if sector:
            return [_Hit(i, EXACT) for i in self._postcode(f"{outward} {sector}")]
        return [_Hit(i, EXACT) for i in self._postcode(outward)]

    def _postcode(self, search_name: str) -> list[int]:
        if search_name not in self.postcodes:
            return []
        return [self.postcodes[search_name], *self.postcodes_repeated.get(search_name, ())]

    # Names.

    def _name_hits(self, words: Sequence[str]) -> list[_Hit]:
        if not words:
            return []
        qualities = [
            self._word_matches(word, last=i == len(words) - 1) for i, word in enumerate(words)
        ]
        # Words that match nothing anywhere are left out: a house number ("4 Mill Lane")
        # costs nothing; anything else (noise, or a slip too far) leaves only what the rest
        # names exactly or by its start, as a loose match.
        kept = [(w, q) for w, q in zip(words, qualities, strict=True) if q]
        if not kept:
            return []
        dropped = any(
            not q and not _HOUSE_NUMBER.match(w) for w, q in zip(words, qualities, strict=True)
        )
        words = [w for w, _q in kept]
        qualities = [q for _w, q in kept]
        hits = []
        for position in self._candidates(qualities):
            scored = _score(self.names[position], self.areas[position], qualities)
            if scored is not None:
                rank, order = scored
                if not dropped:
                    hits.append(_Hit(position, rank, order))
                elif rank == EXACT:
                    hits.append(_Hit(position, LOOSE, order))
        if not hits and len(words) > 1:
            # A first word that is no part of the name ("the mill lane"): read without it.
            return [
                _Hit(hit.index, LOOSE, hit.order)
                for hit in self._name_hits(words[1:])
                if hit.rank == EXACT
            ]
        return hits

    def _word_matches(self, word: str, *, last: bool) -> dict[str, int]:
        """The index's words a typed word may stand for: {word: EXACT, PREFIX or FUZZY}."""
        found: dict[str, int] = {}
        for alternative in _ALTERNATIVES.get(word, (word,)):
            if alternative in self.name_postings or alternative in self.area_postings:
                found[alternative] = EXACT
        # Prefixes: any word while it is being typed; other words once they say enough.
        if last or len(word) >= 3:
            at = bisect.bisect_left(self.vocabulary, word)
            taken = 0
            while (
                at < len(self.vocabulary) and self.vocabulary[at].startswith(word) and taken < 400
            ):
                found.setdefault(self.vocabulary[at], PREFIX)
                at += 1
                taken += 1
        if len(word) >= 4 and not any(q == EXACT for q in found.values()):
            for candidate in self._near_words(word):
                found.setdefault(candidate, FUZZY)
        return found

    def _near_words(self, word: str) -> set[str]:
        """Index words one slip away (two for long words): a letter missing, extra, wrong or
        two letters swapped."""
        allowed = 2 if len(word) >= 8 else 1
        probes = {word, *_deletions(word)}
        if allowed == 2:
            probes |= {d2 for d1 in list(probes) for d2 in _deletions(d1)}
        near: set[str] = set()
        for probe in probes:
            if probe in self.name_postings or probe in self.area_postings:
                near.add(probe)
            near.update(self.deletions.get(probe, "").split())
        return {w for w in near if w != word and _distance(word, w, allowed) <= allowed}

    def _candidates(self, qualities: list[dict[str, int]]) -> set[int]:
        """Entries whose name holds the first typed word and which hold the words after it
        somewhere (name or area), as far as any entry does: words no candidate holds are
        left for _score to count against them."""
        found: set[int] = set()
        for word in qualities[0]:
            found.update(self.name_postings.get(word, ()))
        for matches in qualities[1:]:
            holding: set[int] = set()
            for word in matches:
                holding.update(self.name_postings.get(word, ()))
                holding.update(self.area_postings.get(word, ()))
            narrowed = found & holding
            if not narrowed:
                break
            found = narrowed
        return found


def _score(
    name: tuple[str, ...], area: tuple[str, ...], qualities: list[dict[str, int]]
) -> tuple[int, tuple[int, int]] | None:
    """(rank, (locality, shape)) of one entry: the typed words are its name, then words of its
    area. The best reading wins over every split of the typed words into name and area."""
    best: tuple[int, tuple[int, int]] | None = None
    for split in range(len(qualities), 0, -1):
        named = _name_rank(name, qualities[:split])
        if named is None:
            continue
        rank, shape = named
        rest = qualities[split:]
        if all(any(word in matches for word in area) for matches in rest):
            worst = max((min(m[w] for w in area if w in m) for m in rest), default=EXACT)
            candidate = (max(rank, FUZZY) if worst == FUZZY else rank, (0, shape))
        elif rank == EXACT:
            candidate = (LOOSE, (1, shape))  # the whole name, then words about nothing here
        else:
            continue
        if best is None or candidate < best:
            best = candidate
    return best


def _name_rank(name: tuple[str, ...], qualities: list[dict[str, int]]) -> tuple[int, int] | None:
    """(rank, shape) of the typed words against the name's words, or None when they do not
    match. Shape: 0 the whole name, 1 its first words, 2 words within it. "The Headrow" is
    found as "headrow" too."""
    found = _words_rank(name, qualities)
    if len(name) > 1 and name[0] == "the" and "the" not in qualities[0]:
        without = _words_rank(name[1:], qualities)
        if without is not None and (found is None or without < found):
            return without
    return found


def _words_rank(name: tuple[str, ...], qualities: list[dict[str, int]]) -> tuple[int, int] | None:
    if len(qualities) > len(name):
        return None
    aligned = [matches.get(word) for matches, word in zip(qualities, name, strict=False)]
    if all(q is not None for q in aligned):
        worst = max(q for q in aligned if q is not None)
        shape = 0 if len(qualities) == len(name) else 1
        if worst == FUZZY:
            return FUZZY, shape
        # The whole name typed in full, or its first words typed or being typed.
        return (EXACT if shape == 0 and worst == EXACT else PREFIX), shape
    # The words in order somewhere later in the name ("mill lane" in "old mill lane").
    for start in range(1, len(name) - len(qualities) + 1):
        window = name[start : start + len(qualities)]
        matched = [matches.get(word) for matches, word in zip(qualities, window, strict=True)]
        if all(q is not None for q in matched):
            worst = max(q for q in matched if q is not None)
            return (FUZZY if worst == FUZZY else WORDS), 2
    return None


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent swaps (optimal string alignment), stopping past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
