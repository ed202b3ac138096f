"""Small GOV.UK Frontend components as template tags: `{% load govuk %}`.

Presentation only; values are escaped unless they are already safe strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django import template

register = template.Library()

DEFAULT_COLOUR = "#1d70b8"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
TAG_COLOURS = frozenset(
    {
        "grey",
        "green",
        "turquoise",
        "blue",
        "light-blue",
        "purple",
        "pink",
        "red",
        "orange",
        "yellow",
    }
)


@register.filter
def council_colour(council: Any) -> str:
    """The council's branding colour as #rrggbb, or the default blue when it has none or it is
    not a plain #rrggbb (the value goes into an inline style, so nothing else passes)."""
    branding = getattr(council, "branding", None)
    colour = branding.get("colour") if isinstance(branding, Mapping) else None
    if isinstance(colour, str) and _COLOUR.fullmatch(colour):
        return colour.lower()
    return DEFAULT_COLOUR


@register.inclusion_tag("ui/components/tag.html")
def govuk_tag(text: Any, colour: str = "") -> dict[str, Any]:
    """A GOV.UK tag: `{% govuk_tag "Application" "blue" %}`."""
    return {"text": text, "colour": colour if colour in TAG_COLOURS else ""}


@register.inclusion_tag("ui/components/summary_list.html")
def govuk_summary_list(rows: Iterable[Any], no_border: bool = False) -> dict[str, Any]:
    """A GOV.UK summary list from (key, value) pairs or mappings with `key` and `value`."""
    pairs = []
    for row in rows:
        if isinstance(row, Mapping):
            pairs.append((row["key"], row["value"]))
        else:
            key, value = row
            pairs.append((key, value))
    return {"rows": pairs, "no_border": no_border}
