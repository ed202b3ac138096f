"""The gazetteer's ranking, on its own (no database): NameIndex and Query."""

import pytest

from townsquare.councils.gazetteer import (
    EXACT,
    FUZZY,
    PREFIX,
    WORDS,
    NameIndex,
    Query,
    fold,
    normalise,
    postcode_kind,
)

ROWS = [
    (1, "street", "Mill Lane", "Otley LS21"),
    (2, "street", "Mill Lane", "Horsforth LS18"),
    (3, "street", "Old Mill Lane", "Leeds LS10"),
    (4, "street", "Kirkstall Road", "Leeds LS3 LS4"),
    (5, "street", "Kirkstall Lane", "Leeds LS5"),
    (6, "street", "St Mark's Road", "Leeds LS2"),
    (7, "street", "The Headrow", "Leeds LS1"),
    (8, "place", "Horsforth", "LS18"),
    (9, "postcode", "LS6 2AB", "Headingley"),
    (10, "postcode", "LS6 2AD", "Headingley"),
    (11, "postcode_sector", "LS6 2", ""),
    (12, "postcode_district", "LS6", ""),
    (13, "street", "Millbrook Road", "Leeds LS7"),
    (14, "street", "Church Street", "Leeds LS1"),
]


@pytest.fixture(scope="module")
def index():
    return NameIndex.build(ROWS)


def search(index, text, limit=5):
    return [
        (place_id, rank) for place_id, rank, _order in index.search(Query.read(text), limit=limit)
    ]


def first(index, text):
    found = search(index, text, limit=1)
    return found[0] if found else None


def test_names_fold_to_words_and_postcodes_lose_their_space():
    assert fold("St Mark\u2019s Road") == fold("St Mark's Road") == "st marks road"
    assert fold("Adel & Wharfedale") == "adel and wharfedale"
    assert fold("Pool-in-Wharfedale") == "pool in wharfedale"
    assert normalise("ls6 2ab") == normalise("LS62AB") == "ls62ab"
    assert postcode_kind("ls6 2ab") == ("postcode", "LS6 2AB")
    assert postcode_kind("LS62AB") == ("postcode", "LS6 2AB")
    assert postcode_kind("LS6 2") == ("postcode_sector", "LS6 2")
    assert postcode_kind("LS6") == ("postcode_district", "LS6")
    assert postcode_kind("Mill Lane") is None


def test_exact_before_prefix_before_words_within(index):
    found = search(index, "mill lane")
    assert {found[0], found[1]} == {(1, EXACT), (2, EXACT)}
    assert found[2] == (3, WORDS)  # Old Mill Lane
    assert first(index, "kirkstall ro") == (4, PREFIX)
    assert first(index, "millb") == (13, PREFIX)


def test_abbreviations_are_read_as_the_words_they_stand_for(index):
    assert first(index, "kirkstall rd") == (4, EXACT)
    assert first(index, "church st") == (14, EXACT)
    assert first(index, "saint marks road") == (6, EXACT)
    assert first(index, "St Marks Rd") == (6, EXACT)


def test_a_slip_of_spelling_still_finds_the_street(index):
    assert first(index, "kirkstal road") == (4, PREFIX)  # still being typed
    assert first(index, "kirkstlal road") == (4, FUZZY)  # two letters swapped
    assert first(index, "kirkstall raod") == (4, FUZZY)
    assert first(index, "kirkstull road") == (4, FUZZY)  # a wrong letter
    assert search(index, "zzzz") == []


def test_words_after_the_name_pick_among_streets_of_that_name(index):
    assert first(index, "Mill Lane, Horsforth LS18") == (2, EXACT)
    assert first(index, "mill lane otley") == (1, EXACT)
    assert first(index, "mill lane ls21") == (1, EXACT)
    assert first(index, "mill lane horsfoth") == (2, FUZZY)
    # An area that matches none of them: the streets still come, the match is loose.
    assert {place_id for place_id, _rank in search(index, "mill lane kirkstall")} >= {1, 2}


def test_loose_matches_are_whole_names_only_and_only_when_nothing_is_better(index):
    assert {place_id for place_id, _rank in search(index, "near mill lane")} == {1, 2}
    assert first(index, "4 mill lane otley") == (1, EXACT)  # a house number costs nothing
    # Part of a name and another word: not a street at all, nothing rather than a guess.
    assert search(index, "kirkstall avenue") == []
    assert search(index, "church road") == []


def test_the_is_optional(index):
    assert first(index, "headrow") == (7, EXACT)
    assert first(index, "the headrow") == (7, EXACT)


def test_postcodes_resolve_to_units_sectors_and_districts(index):
    assert first(index, "LS6 2AB") == (9, EXACT)
    assert first(index, "ls62ab") == (9, EXACT)
    assert first(index, "LS6 2") == (11, EXACT)
    assert first(index, "ls6") == (12, EXACT)
    assert [place_id for place_id, _rank in search(index, "ls6 2a")] == [9, 10]
    # A postcode not held: its sector, then its district.
    assert first(index, "LS6 2ZZ") == (11, WORDS)
    assert first(index, "LS6 9ZZ") == (12, WORDS)


def test_results_are_limited_and_never_repeat(index):
    found = search(index, "l", limit=3)
    assert len(found) == 3 and len({place_id for place_id, _rank in found}) == 3
