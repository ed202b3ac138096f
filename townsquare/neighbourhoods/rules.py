"""Pure rules for posts: normalising text for duplicate detection, spotting links, rendering
Markdown safely, and the default house rules a council starts from."""

from __future__ import annotations

import hashlib
import re

import markdown
import nh3

MAX_BODY = 5000
MAX_TITLE = 150
MAX_NAME = 60

_LINK = re.compile(r"(https?://|www\.|\]\()", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[^\w\s]")

_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a"}


def fingerprint(text: str) -> str:
    """The same words, whatever the case, spacing and punctuation, give the same digest."""
    normal = _SPACE.sub(" ", _PUNCTUATION.sub(" ", text.lower())).strip()
    return hashlib.sha256(normal.encode()).hexdigest()


def has_link(text: str) -> bool:
    return bool(_LINK.search(text))


def render(source: str) -> str:
    """Markdown to HTML with only harmless tags and attributes; links open nothing and tell
    search engines not to follow them. Headings and images are not allowed in posts."""
    html = markdown.markdown(source, extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"https", "http", "mailto"},
        link_rel="nofollow ugc noopener",
    )


# (code, title, title in Welsh, description, description in Welsh)
DEFAULT_RULES = (
    (
        "respect",
        "Be respectful",
        "Byddwch yn barchus",
        "No insults, harassment, threats or hate towards anyone.",
        "Dim sarhad, aflonyddu, bygythiadau na chasineb tuag at unrhyw un.",
    ),
    (
        "privacy",
        "Respect privacy",
        "Parchwch breifatrwydd",
        "Do not share anyone's personal details, photos of people or car number plates.",
        "Peidiwch â rhannu manylion personol unrhyw un, lluniau o bobl na rhifau ceir.",
    ),
    (
        "on-topic",
        "Stay local and on topic",
        "Cadwch yn lleol ac at y pwnc",
        "Posts are about this neighbourhood. No advertising or spam.",
        "Mae negeseuon am y gymdogaeth hon. Dim hysbysebu na sbam.",
    ),
    (
        "legal",
        "Nothing unlawful",
        "Dim byd anghyfreithlon",
        "Nothing that breaks the law, such as defamation or incitement.",
        "Dim byd sy'n torri'r gyfraith, fel difenwi neu annog trosedd.",
    ),
    (
        "new-members",
        "New members' posts are checked",
        "Caiff negeseuon aelodau newydd eu gwirio",
        "A new member's first post, and posts with links from new members, wait for a "
        "moderator before they appear.",
        "Mae neges gyntaf aelod newydd, a negeseuon gyda dolenni gan aelodau newydd, yn aros am "
        "gymedrolwr cyn iddynt ymddangos.",
    ),
)
HOLD_RULE = "new-members"
DUPLICATE_RULE = "on-topic"


_WORDS = re.compile(r"[a-z][a-z'-]+")


def reportable_service(text: str, services: list[tuple[str, list[str]]]) -> str | None:
    """The code of the first service one of whose keywords (or its name) the text mentions:
    a post that describes a problem the council fixes gets a "report this" suggestion.
    `services` is (code, [name, keyword, ...]) in the order to prefer."""
    lowered = " " + " ".join(_WORDS.findall(text.lower())) + " "
    for code, phrases in services:
        for phrase in phrases:
            words = " ".join(_WORDS.findall(phrase.lower()))
            if len(words) >= 4 and f" {words} " in lowered:
                return code
    return None
