"""Side-by-side diffs and three-way merges of article texts: pure, line by line."""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "same", "changed", "added", "removed"
    left_number: int | None
    left: str
    right_number: int | None
    right: str


def side_by_side(old: str, new: str, *, context: int | None = None) -> list[DiffRow]:
    """Rows for a two-column diff, old text on the left."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                rows.append(
                    DiffRow(
                        "same", i1 + offset + 1, a[i1 + offset], j1 + offset + 1, b[j1 + offset]
                    )
                )
            continue
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            left = a[i] if i < i2 else None
            right = b[j] if j < j2 else None
            kind = (
                "changed"
                if left is not None and right is not None
                else ("removed" if right is None else "added")
            )
            rows.append(
                DiffRow(
                    kind,
                    i + 1 if left is not None else None,
                    left or "",
                    j + 1 if right is not None else None,
                    right or "",
                )
            )
    if context is None:
        return rows
    keep = {
        n
        for n, row in enumerate(rows)
        if row.kind != "same"
        for n in range(n - context, n + context + 1)
    }
    return [row for n, row in enumerate(rows) if n in keep]


def has_changes(old: str, new: str) -> bool:
    return old.splitlines() != new.splitlines()


def merge(base: str, mine: str, theirs: str) -> str | None:
    """Both sets of changes made to `base`, or None where they touch the same lines."""
    if mine == theirs:
        return mine
    if theirs == base:
        return mine
    if mine == base:
        return theirs
    b, m, t = base.splitlines(), mine.splitlines(), theirs.splitlines()

    def changes(other: list[str]) -> list[tuple[int, int, list[str]]]:
        matcher = difflib.SequenceMatcher(None, b, other, autojunk=False)
        return [
            (i1, i2, other[j1:j2])
            for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            if tag != "equal"
        ]

    edits = sorted(
        [(i1, i2, lines, "m") for i1, i2, lines in changes(m)]
        + [(i1, i2, lines, "t") for i1, i2, lines in changes(t)],
        key=lambda e: (e[0], e[1]),
    )
    for first, second in itertools.pairwise(edits):
        # Overlapping ranges, or two insertions at the same place, conflict.
        if second[0] < first[1] or (second[0] == first[0] and first[3] != second[3]):
            if (first[0], first[1], first[2]) == (second[0], second[1], second[2]):
                continue
            return None
    merged: list[str] = []
    position = 0
    applied: set[tuple[int, int, tuple[str, ...]]] = set()
    for i1, i2, lines, _who in edits:
        key = (i1, i2, tuple(lines))
        if key in applied:
            continue
        applied.add(key)
        merged.extend(b[position:i1])
        merged.extend(lines)
        position = i2
    merged.extend(b[position:])
    ending = "\n" if mine.endswith("\n") or theirs.endswith("\n") else ""
    return "\n".join(merged) + ending
