"""Dates in words, the way GOV.UK writes them ("31 March 2015"), in English or Welsh.

One function for every interface and message, so a date of birth on "Check your answers",
the staff case page and an email, and "Expected by" everywhere, read the same. It does not
depend on which language Django has active: a message is written in its recipient's language
(`language`), which is not always the language of the request that queued it.
"""

from __future__ import annotations

import datetime as dt

_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "cy": (
        "Ionawr",
        "Chwefror",
        "Mawrth",
        "Ebrill",
        "Mai",
        "Mehefin",
        "Gorffennaf",
        "Awst",
        "Medi",
        "Hydref",
        "Tachwedd",
        "Rhagfyr",
    ),
}


def month_name(month: int, language: str = "en") -> str:
    names = _MONTHS.get((language or "en")[:2], _MONTHS["en"])
    return names[month - 1]


def date_in_words(day: dt.date, language: str = "en") -> str:
    """For example "31 March 2015", or "31 Mawrth 2015" in Welsh (no leading zero)."""
    return f"{day.day} {month_name(day.month, language)} {day.year}"


def iso_date_in_words(value: str, language: str = "en") -> str:
    """A stored ISO date ("2015-03-31") in words; anything else is returned as it is (an
    answer kept from before the question was a date is shown as typed, never an error)."""
    try:
        day = dt.date.fromisoformat(str(value)) if len(str(value)) == 10 else None
    except ValueError:
        day = None
    return date_in_words(day, language) if day else str(value)
