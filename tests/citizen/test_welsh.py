"""Welsh (cy): every citizen template's text goes through translation, the Welsh catalogue is
complete and compiled, and the language switch is remembered without JavaScript."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CITIZEN_TEMPLATES = ROOT / "townsquare" / "portal" / "templates"
CATALOGUES = [
    ROOT / "townsquare" / app / "locale" / "cy" / "LC_MESSAGES" / "django.po"
    for app in ("portal", "ui", "neighbourhoods")
]
SHARED_LAYOUT = ROOT / "townsquare" / "ui" / "templates" / "ui" / "base.html"
# Words that are the same in every language: names, each language's own name, file names.
ALLOWED = {"Townsquare", "English", "Cymraeg", "Open311", "MB", "PDF", "JPG", "PNG", "all"}
_BLOCKS = re.compile(r"{%\s*blocktranslate\b.*?{%\s*endblocktranslate\s*%}", re.DOTALL)
_COMMENTS = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|<!--.*?-->", re.DOTALL)
_CODE = re.compile(r"<(script|style|svg|path)\b.*?</\1>|<(path|circle)\b[^>]*/>", re.DOTALL)
_TAGS = re.compile(r"{%.*?%}|{{.*?}}", re.DOTALL)
_ATTRIBUTES = re.compile(r'\b(aria-label|alt|title|placeholder)="([^"]*)"')
_HTML = re.compile(r"<[^>]+>")
_WORD = re.compile(r"[A-Za-z][A-Za-z\u2019']+")


def _untranslated(source: str) -> list[str]:
    text = _COMMENTS.sub(" ", source)
    text = _BLOCKS.sub(" ", text)
    text = _CODE.sub(" ", text)
    found = []
    for _name, value in _ATTRIBUTES.findall(text):
        words = _WORD.findall(_TAGS.sub(" ", value))
        found += [w for w in words if w not in ALLOWED]
    text = _HTML.sub(" ", _TAGS.sub(" ", text))
    text = re.sub(r"&[a-z]+;", " ", text)
    found += [w for w in _WORD.findall(text) if w not in ALLOWED]
    return found


def _templates() -> list[Path]:
    return sorted(
        [*CITIZEN_TEMPLATES.rglob("*.html"), *CITIZEN_TEMPLATES.rglob("*.txt"), SHARED_LAYOUT]
    )


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_citizen_templates_have_no_untranslated_text(path):
    words = _untranslated(path.read_text(encoding="utf-8"))
    assert not words, f"literal text outside {{% translate %}} in {path.name}: {words[:10]}"


def test_the_checker_finds_literal_text():
    assert _untranslated('<p>Hello {% translate "Fine" %}</p>') == ["Hello"]
    assert _untranslated('<a aria-label="Go home">{% translate "x" %}</a>') == ["Go", "home"]
    assert _untranslated("{% blocktranslate %}All {{ n }} fine{% endblocktranslate %}") == []


def _entries(path: Path) -> list[tuple[str, list[str]]]:
    """(msgid, msgstrs) for every message, read with msgattrib-free plain parsing."""
    text = path.read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n")[1:]:
        msgid = "".join(
            re.findall(
                r'"(.*)"', block.split("msgid_plural")[0].split("msgstr")[0].split("msgid", 1)[1]
            )
        )
        strs = [
            "".join(re.findall(r'"(.*)"', part.split("\nmsg")[0]))
            for part in re.split(r"\nmsgstr(?:\[\d\])? ", block)[1:]
        ]
        if "#~" not in block:
            entries.append((msgid, strs))
    return entries


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_the_welsh_catalogue_is_complete_and_compiled(path, tmp_path):
    entries = _entries(path)
    assert len(entries) >= 5
    empty = [msgid for msgid, strs in entries if not all(strs)]
    assert not empty, f"untranslated in {path}: {empty[:5]}"
    fuzzy = path.read_text(encoding="utf-8").count("#, fuzzy")
    assert fuzzy == 0, f"{fuzzy} fuzzy entries in {path}"
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt is not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run(  # noqa: S603
        [shutil.which("msgfmt"), "--check", "-o", str(fresh), str(path)],
        check=True,
    )
    committed = gettext.GNUTranslations(path.with_suffix(".mo").open("rb"))
    compiled = gettext.GNUTranslations(fresh.open("rb"))
    assert committed._catalog == compiled._catalog, (
        f"{path.with_suffix('.mo')} is stale: run msgfmt -o django.mo django.po"
    )


@pytest.mark.django_db
def test_the_language_switch_is_remembered_without_javascript(client, council):
    page = client.get("/track").content.decode()
    assert '<html lang="en' in page and 'value="cy"' in page
    response = client.post("/i18n/setlang/", {"language": "cy", "next": "/track"})
    assert response.status_code == 302 and response["Location"] == "/track"
    page = client.get("/track").content.decode()
    assert '<html lang="cy"' in page
    assert "Olrhain cais" in page and "Neidio i\u2019r prif gynnwys" in page
    assert 'value="en"' in page  # and the way back
    assert "Gwneud cais am wasanaeth" in client.get("/council/testshire/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Track a request" in client.get("/track").content.decode()


@pytest.mark.django_db
def test_errors_and_plurals_are_welsh_too(client, council):
    client.cookies["django_language"] = "cy"
    page = client.get("/track", {"reference": "nonsense"}).content.decode()
    assert "Mae problem wedi codi" in page and "Rhowch gyfeirnod fel BRS-26-000123" in page
    page = client.post("/sign-in", {"email": "nope"}).content.decode()
    assert "Rhowch gyfeiriad e-bost yn y fformat cywir" in page


@pytest.mark.django_db
def test_english_only_pages_declare_english_to_a_welsh_visitor(client, council):
    """Staff pages and the Open311 documentation are written in English only: a visitor who
    chose Welsh gets them declared as English (WCAG 3.1.1), not lang="cy" over English words."""
    client.cookies["django_language"] = "cy"
    for path in ("/staff/sign-in", "/open311/"):
        response = client.get(path)
        page = response.content.decode()
        assert '<html lang="en"' in page, path
        assert response["Content-Language"] == "en", path
        assert "Skip to main content" in page, path
    # The citizen pages stay Welsh.
    page = client.get("/track").content.decode()
    assert '<html lang="cy"' in page
