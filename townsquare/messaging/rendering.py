"""Pure rules for turning a template into a message: placeholders, Markdown, SMS fragments.

Templates use GOV.UK Notify's placeholder syntax, ``((name))``, so a council's words move between
Townsquare and Notify unchanged. Nothing here touches the database.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import markdown
import nh3

PLACEHOLDER = re.compile(r"\(\(\s*([a-z_][a-z0-9_]*)\s*\)\)")

# What a template may use; previews fill them with examples.
FIELDS: dict[str, str] = {
    "reference": "BRS-26-000123",
    "service_name": "Pothole",
    "council_name": "Bristol City Council",
    "state_name": "In progress",
    "message": "A crew has been booked for Tuesday.",
    "address": "12 High Street",
    # The place as a sentence of its own, empty for an application that has no place.
    "where": "Where: 12 High Street.",
    "description": "A deep hole by the bus stop.",
    "track_url": "https://example.org/track/BRS-26-000123",
    "expected_by": "5 December 2026",
    "unsubscribe_url": "https://example.org/alerts/unsubscribe/TOKEN",
    "confirm_url": "https://example.org/alerts/confirm/TOKEN",
    "area_name": "Ashley ward",
    "count": "3",
    "items": "- BRS-26-000123 Pothole, 12 High Street",
    "reply": "Thanks, it is still there.",
    # Live queues (appointments): the booked and the expected time, the place, the number.
    "booked_time": "10:20",
    "expected_time": "11:00",
    "place": "Central Health Clinic",
    "number": "12",
}

_ALLOWED_TAGS = {
    "p",
    "a",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "blockquote",
    "br",
    "hr",
    "code",
    "pre",
}

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")


class MissingField(ValueError):
    pass


def fill(text: str, values: dict[str, str], *, escape: bool = False, strict: bool = False) -> str:
    """Replace ((placeholders)) with values; html-escape them when the result becomes HTML."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            if strict:
                raise MissingField(name)
            return ""
        value = str(values[name])
        return html.escape(value) if escape else value

    return PLACEHOLDER.sub(replace, text)


_ANY_PLACEHOLDER = re.compile(r"\(\(\s*([^()]*?)\s*\)\)")


def placeholders(text: str) -> set[str]:
    """Every ((name)) in a text, well-formed or not (to check a council's template)."""
    return set(_ANY_PLACEHOLDER.findall(text))


def markdown_to_html(source: str) -> str:
    """Markdown to HTML safe for any mail client: raw HTML and scripts are cleaned away."""
    rendered = markdown.markdown(source, extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )


_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)
_STRONG = re.compile(r"\*\*(.+?)\*\*")


def markdown_to_text(source: str) -> str:
    """The plain-text part: Markdown's marks taken out, links written out in full."""
    text = _LINK.sub(lambda m: f"{m.group(1)}: {m.group(2)}", source)
    text = _HEADING.sub("", text)
    return _STRONG.sub(r"\1", text)


def html_document(body_html: str, *, language: str, title: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family: Arial, sans-serif; font-size: 19px; line-height: 1.4; '
        'color: #0b0c0c; max-width: 40em">'
        f"{body_html}</body></html>"
    )


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


def render(
    *, subject: str, body: str, sms: str, values: dict[str, str], language: str = "en"
) -> Rendered:
    subject_text = " ".join(fill(subject, values).split())
    # Marks are taken out of the template before filling, so values keep their characters.
    text = fill(markdown_to_text(body), values)
    body_html = markdown_to_html(fill(body, values, escape=True))
    return Rendered(
        subject=subject_text[:300],
        text=text,
        html=html_document(body_html, language=language, title=subject_text),
        sms=fill(sms, values),
    )


def sms_fragments(text: str) -> int:
    """How many SMS parts a text costs: GSM 7-bit 160 (153 when split), else UCS-2 70 (67)."""
    if all(ch in GSM7 or ch in GSM7_EXTENDED for ch in text):
        length = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, part = 70, 67
    if length <= single:
        return 1 if length else 0
    return -(-length // part)
