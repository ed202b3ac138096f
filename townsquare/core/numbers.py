"""Whole numbers from outside (query strings, form fields), read without surprises.

`str.isdigit()` alone is not enough to guard `int()`: it accepts "²" and other Unicode digits,
which `int()` refuses, and any length of digits, which overflows a database integer (a 500
either way).
"""

from __future__ import annotations

LARGEST_ID = 2**63 - 1  # a 64-bit signed integer: BigAutoField on PostgreSQL and SQLite


def whole_number(raw: str | None, *, largest: int = LARGEST_ID) -> int | None:
    """`raw` as an int if it is plain ASCII digits no larger than `largest`; otherwise None."""
    if not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if value <= largest else None
