"""Markdown to safe HTML for articles: pure, no database.

Markdown may carry raw HTML, so everything the Markdown library produces goes through nh3
(Ammonia) with a short allow-list: no script or style, no event attributes, no `javascript:`
or `data:` links. Two things are resolved by the caller, so that this module never decides who
may read what:

- `[[Title]]` and `[[Title|words]]` wiki links: `resolve_links(titles)` answers, for each title,
  the URL of an article the reader may open, or None (the link is shown red, "missing", exactly as
  for a page that does not exist, so a private page's existence is not revealed).
- `{{figures council=leeds service=pothole}}` on a line of its own: `render_figure(council,
  service)` returns HTML it built itself (escaped), put in after cleaning, at a place marked by a
  token nobody can type (a fresh random nonce per render).
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import markdown
import nh3

WIKI_LINK = re.compile(r"\[\[([^\[\]|\n]{1,200})(?:\|([^\[\]\n]{1,200}))?\]\]")
FIGURE = re.compile(
    r"^\{\{\s*figures\s+council=([a-z0-9-]{1,60})\s+service=([a-z0-9_-]{1,80})\s*\}\}\s*$",
    re.MULTILINE,
)

_TAGS = {
    "p",
    "a",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "br",
    "hr",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "del",
    "sup",
    "sub",
    "dl",
    "dt",
    "dd",
    "span",
}
_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "scope"},
    "td": {"align"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "span": {"class"},
}
_SCHEMES = {"http", "https", "mailto"}

LinkResolver = Callable[[list[str]], dict[str, str | None]]
FigureRenderer = Callable[[str, str], str]


@dataclass(frozen=True)
class Rendered:
    html: str
    links: list[str]  # wiki link titles, in order, each once
    figures: list[tuple[str, str]]  # (council slug, service code)


def normalise_title(title: str) -> str:
    return " ".join(title.split()).casefold()


def wiki_links(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in WIKI_LINK.finditer(text):
        seen.setdefault(" ".join(match.group(1).split()), None)
    return list(seen)


def figures_in(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FIGURE.finditer(text)]


def clean(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render(
    text: str,
    *,
    resolve_links: LinkResolver | None = None,
    render_figure: FigureRenderer | None = None,
    missing_link_url: Callable[[str], str] | None = None,
) -> Rendered:
    """The article's HTML, safe to mark safe in a template."""
    links = wiki_links(text)
    targets = resolve_links(links) if (resolve_links and links) else {}
    nonce = secrets.token_hex(8)
    figures: list[tuple[str, str]] = []

    def figure_token(match: re.Match[str]) -> str:
        figures.append((match.group(1), match.group(2)))
        return f"\n\nWIKIFIGURE{nonce}N{len(figures) - 1}\n\n"

    def link(match: re.Match[str]) -> str:
        title = " ".join(match.group(1).split())
        words = html.escape(" ".join((match.group(2) or title).split()))
        url = targets.get(title)
        if url:
            return f'<a href="{html.escape(url)}" class="wiki-link">{words}</a>'
        # A missing (or unreadable: the same to the reader) page: red, offering to create it.
        href = html.escape(missing_link_url(title)) if missing_link_url else ""
        if href:
            return f'<a href="{href}" class="wiki-link wiki-link--missing">{words}</a>'
        return f'<span class="wiki-link--missing">{words}</span>'

    source = FIGURE.sub(figure_token, text)
    source = WIKI_LINK.sub(link, source)
    converted = markdown.markdown(
        source, extensions=["tables", "fenced_code", "sane_lists", "toc"], output_format="html"
    )
    # Article headings start at h2: the page's h1 is the title.
    converted = re.sub(r"<(/?)h1([ >])", r"<\1h2\2", converted)
    safe = clean(converted)
    for index, (council, service) in enumerate(figures):
        token = f"WIKIFIGURE{nonce}N{index}"
        figure_html = render_figure(council, service) if render_figure else ""
        safe = safe.replace(f"<p>{token}</p>", figure_html).replace(token, figure_html)
    return Rendered(html=safe, links=links, figures=figures)


def plain_text(text: str) -> str:
    """What search indexes from a body: the words, without Markdown's punctuation."""
    text = FIGURE.sub(" ", text)
    text = WIKI_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return re.sub(r"[#*_`>|\[\]()~-]+", " ", text)


def search_text(*, title: str, tags: Iterable[str], body: str) -> str:
    return f"{title}\n{' '.join(tags)}\n{plain_text(body)}"
