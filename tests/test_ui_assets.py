"""The citizen web's built assets (ADR 11) and the shared GOV.UK Frontend layout."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string

from townsquare.ui.templatetags.govuk import council_colour

ROOT = Path(__file__).resolve().parent.parent
SCSS = ROOT / "townsquare/ui/assets/scss"
STATIC = ROOT / "townsquare/ui/static/ui"
MANIFEST = json.loads((STATIC / "assets-manifest.json").read_text())
PINNED = json.loads((ROOT / "package.json").read_text())["devDependencies"]


def sources_hash(versions: dict[str, str]) -> str:
    """Must match sourcesHash() in scripts/build-assets.mjs."""
    digest = hashlib.sha256()
    for path in sorted(p for p in SCSS.rglob("*.scss")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\n")
        digest.update(path.read_bytes())
        digest.update(b"\n")
    for name, version in versions.items():
        digest.update(f"{name}@{version}\n".encode())
    return digest.hexdigest()


def test_committed_css_is_built_from_the_current_sources():
    """Fails when the SCSS or the pinned packages changed without `make assets`."""
    versions = {
        "govuk-frontend": PINNED["govuk-frontend"],
        "leaflet": PINNED["leaflet"],
        "sass": PINNED["sass"],
    }
    assert MANIFEST["versions"] == versions, "package.json pins changed: run `make assets`"
    assert MANIFEST["sources_sha256"] == sources_hash(versions), (
        "townsquare/ui/assets/scss changed since the CSS was built: run `make assets`"
    )
    css = (STATIC / "townsquare.css").read_bytes()
    assert hashlib.sha256(css).hexdigest() == MANIFEST["css_sha256"], (
        "townsquare.css was edited by hand: change the SCSS and run `make assets`"
    )


def test_versions_are_pinned_and_locked():
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for name, version in PINNED.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned exactly"
        assert lock[f"node_modules/{name}"]["version"] == version
    assert PINNED["govuk-frontend"].startswith("5.")


def test_css_carries_no_gov_uk_font_or_images():
    css = (STATIC / "townsquare.css").read_text()
    assert "@font-face" not in css and "GDS Transport" not in css
    assert "url(" not in css  # no crest, no fonts: nothing for collectstatic to miss
    assert "system-ui" in css
    assert "sourceMappingURL" not in (STATIC / "govuk-frontend.min.js").read_text()
    shipped = {p.name for p in STATIC.iterdir()}
    # live.js is written by hand (live updates, ADR 40), not built; so are the two scripts
    # every page loads instead of inline ones (ADR 146), and the favicon.
    assert shipped == {
        "js-enabled.js",
        "govuk-init.js",
        "townsquare.css",
        "govuk-frontend.min.js",
        "assets-manifest.json",
        "leaflet",
        "map.js",
        "category-search.js",
        "live.js",
        # Drawn by hand: the platform's own mark, never the GOV.UK crown (a council's site is
        # not GOV.UK), so browsers stop asking for a /favicon.ico that is not there.
        "favicon.svg",
    }


def test_leaflet_is_the_pinned_release_without_source_maps():
    """Leaflet is copied from npm by the build (ADR 50), with the images its CSS names."""
    leaflet = STATIC / "leaflet"
    version = PINNED["leaflet"]
    assert f'version="{version}"' in (leaflet / "leaflet.js").read_text()
    assert "sourceMappingURL" not in (leaflet / "leaflet.js").read_text()
    css = (leaflet / "leaflet.css").read_text()
    for name in re.findall(r"url\((images/[^)]+)\)", css):
        assert (leaflet / name).is_file(), name


def test_collectstatic_with_the_production_storage(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--no-input", verbosity=0)
    paths = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert "ui/townsquare.css" in paths and "ui/govuk-frontend.min.js" in paths
    assert "ui/leaflet/leaflet.css" in paths and "ui/map.js" in paths


@pytest.mark.parametrize(
    ("colour", "expected"),
    [
        ("#AA3300", "#aa3300"),
        ("#1d70b8", "#1d70b8"),
        ("red", "#1d70b8"),
        ("#123", "#1d70b8"),
        ("#123456;background:url(//evil)", "#1d70b8"),
        (None, "#1d70b8"),
    ],
)
def test_council_colour_is_only_ever_a_plain_hex_colour(colour, expected):
    assert council_colour(SimpleNamespace(branding={"colour": colour})) == expected
    assert council_colour(None) == "#1d70b8"


def test_layout_without_a_council_says_townsquare():
    html = render_to_string("ui/base.html", {})
    assert '<html lang="en' in html and 'class="govuk-template"' in html
    assert 'href="#main-content" class="govuk-skip-link"' in html and 'id="main-content"' in html
    assert '<span class="ts-header__name">Townsquare</span>' in html
    # No council, no colour of its own: the stylesheet's default blue.
    assert "--ts-council-colour" not in html
    # No inline script (ADR 146): GOV.UK Frontend starts from a file.
    assert '<script type="module" src="/static/ui/govuk-init.js"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "/static/ui/townsquare.css" in html and "/static/ui/govuk-frontend.min.js" in html
    assert "OS data © Crown copyright" in html
    assert "govuk-header__logotype" not in html and "crest" not in html


def test_layout_with_a_council_shows_its_name_and_colour_on_the_header_only():
    council = SimpleNamespace(name="Testshire <Council>", branding={"colour": "#AB1234"})
    request = SimpleNamespace(csp_nonce="n0nce")
    html = render_to_string("ui/base.html", {"page_council": council, "request": request})
    assert '<span class="ts-header__name">Testshire &lt;Council&gt;</span>' in html
    assert html.count("#ab1234") == 1
    # The one inline style, carrying the request's Content-Security-Policy nonce (ADR 146).
    assert '<style nonce="n0nce">.ts-header{--ts-council-colour: #ab1234}</style>' in html
    assert "style=" not in html


def test_components_escape_their_values():
    html = render_to_string(
        "ui/components/summary_list.html",
        {"rows": [("Reference", "<b>BR-1</b>")], "no_border": True},
    )
    assert "govuk-summary-list--no-border" in html and "&lt;b&gt;BR-1&lt;/b&gt;" in html
    tag = render_to_string("ui/components/tag.html", {"text": "Open", "colour": "green"})
    assert tag.strip() == '<strong class="govuk-tag govuk-tag--green">Open</strong>'


def test_component_tags():
    from django.template import Context, Template

    html = Template(
        '{% load govuk %}{% govuk_tag "Application" "blue" %}{% govuk_tag "Odd" "tartan" %}'
        "{% govuk_summary_list rows %}"
    ).render(Context({"rows": [{"key": "Status", "value": "Open"}, ("Ward", "Clifton")]}))
    assert '<strong class="govuk-tag govuk-tag--blue">Application</strong>' in html
    assert '<strong class="govuk-tag">Odd</strong>' in html
    assert '<dt class="govuk-summary-list__key">Ward</dt>' in html and "Open" in html
