"""Markdown is rendered safely: nothing a writer types can run script in a reader's browser."""

from __future__ import annotations

import re

import pytest

from townsquare.wiki.rendering import render, wiki_links

ATTACKS = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<img src="x" onerror="alert(1)">',
    '<p onclick="alert(1)">x</p>',
    "<iframe src='https://example.org'></iframe>",
    "<style>body{display:none}</style>",
    '<svg onload="alert(1)"></svg>',
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[[<script>alert(1)</script>]]",
    "[[Page|<img src=x onerror=alert(1)>]]",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_script_no_javascript_links_no_event_attributes(attack):
    out = render(attack, resolve_links=lambda titles: {t: None for t in titles}).html.lower()
    tags = re.findall(r"<[^>]*>", out)  # what the browser would take as markup, not as text
    assert not [t for t in tags if re.match(r"<(script|iframe|style|svg)", t)]
    assert not [t for t in tags if re.search(r"\son\w+=", t)], tags
    assert not [t for t in tags if "javascript:" in t or "data:" in t], tags


def test_headings_tables_images_and_links_survive():
    text = (
        "# Title\n\n## Section\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "![A pothole](https://example.org/p.png)\n\n[GOV.UK](https://www.gov.uk)"
    )
    out = render(text).html
    assert "<h2" in out and "<table>" in out and "<td>1</td>" in out
    assert '<img alt="A pothole" src="https://example.org/p.png"' in out
    assert 'href="https://www.gov.uk"' in out
    assert "<h1" not in out  # the page's h1 is the article's title


def test_wiki_links_are_resolved_by_the_caller_and_missing_ones_are_red():
    text = "See [[Blue Badge]] and [[Nowhere|this page]]."
    assert wiki_links(text) == ["Blue Badge", "Nowhere"]
    out = render(
        text,
        resolve_links=lambda titles: {"Blue Badge": "/wiki/7/", "Nowhere": None},
        missing_link_url=lambda title: f"/wiki/new?title={title}",
    ).html
    assert '<a href="/wiki/7/" class="wiki-link" rel="noopener noreferrer">Blue Badge</a>' in out
    assert "wiki-link--missing" in out and "this page" in out


def test_figures_are_put_in_after_cleaning_and_cannot_be_forged():
    text = "Before\n\n{{figures council=leeds service=pothole}}\n\nAfter WIKIFIGURE"
    out = render(text, render_figure=lambda c, s: f'<div class="figure">{c}/{s}</div>')
    assert out.figures == [("leeds", "pothole")]
    assert '<div class="figure">leeds/pothole</div>' in out.html
    assert "WIKIFIGURE" in out.html  # what the writer typed stays text
