from __future__ import annotations

from townsquare.wiki.diffing import merge, side_by_side


def test_side_by_side_pairs_changed_lines_and_shows_added_and_removed():
    rows = side_by_side("a\nb\nc\n", "a\nB\nc\nd\n")
    kinds = [(r.kind, r.left, r.right) for r in rows]
    assert kinds == [
        ("same", "a", "a"),
        ("changed", "b", "B"),
        ("same", "c", "c"),
        ("added", "", "d"),
    ]


def test_merge_takes_both_sides_changes_when_they_touch_different_lines():
    base = "one\ntwo\nthree\nfour\n"
    mine = "ONE\ntwo\nthree\nfour\n"
    theirs = "one\ntwo\nthree\nFOUR\n"
    assert merge(base, mine, theirs) == "ONE\ntwo\nthree\nFOUR\n"


def test_merge_refuses_when_both_sides_change_the_same_line():
    assert merge("one\ntwo\n", "uno\ntwo\n", "eins\ntwo\n") is None


def test_merge_of_identical_changes_is_that_change():
    assert merge("one\n", "two\n", "two\n") == "two\n"
