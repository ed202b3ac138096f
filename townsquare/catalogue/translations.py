"""A template's texts in the resident's language (pure; ADR 63).

A template is written in English and may carry `translations.<language>` keyed by the codes of
its English part. `localised(document, language)` returns the document a resident reading that
language should see: every text the translation gives replaces the English one, and anything it
leaves out stays in English, so a partial translation is never a broken page.
"""

from __future__ import annotations

import copy
from typing import Any

BASE_LANGUAGE = "en"


def language_code(language: str | None) -> str:
    """ "cy-GB" and "cy" are both Welsh; anything unknown falls back to the template's English."""
    return (language or BASE_LANGUAGE).split("-")[0].lower()


def translation_for(document: dict[str, Any], language: str | None) -> dict[str, Any]:
    return document.get("translations", {}).get(language_code(language), {})


def localised(document: dict[str, Any], language: str | None) -> dict[str, Any]:
    translation = translation_for(document, language)
    if not translation:
        return document
    out = copy.deepcopy(document)
    for key in ("name", "group", "groups", "description", "keywords"):
        if key in translation:
            out[key] = translation[key]
    field_texts = translation.get("fields", {})
    for field in out["fields"]:
        texts = field_texts.get(field["code"], {})
        for key in ("label", "help"):
            if texts.get(key):
                field[key] = texts[key]
        names = texts.get("values", {})
        for value in field.get("values", []):
            value["name"] = names.get(value["key"], value["name"])
    state_texts = translation.get("states", {})
    for state in out["workflow"]["states"]:
        texts = state_texts.get(state["code"], {})
        for key in ("name", "message"):
            if texts.get(key):
                state[key] = texts[key]
    return out


def translations_pruned(document: dict[str, Any]) -> dict[str, Any]:
    """Drop translated texts whose English is gone (a field, value, help text or state removed in
    the service builder), so an edit never leaves a translation that cannot be published.
    Changes `document` in place and returns it."""
    fields = {f["code"]: f for f in document.get("fields", [])}
    states = {s["code"] for s in document.get("workflow", {}).get("states", [])}
    for translation in document.get("translations", {}).values():
        field_texts = translation.get("fields", {})
        for code in list(field_texts):
            field = fields.get(code)
            if field is None:
                del field_texts[code]
                continue
            if not field.get("help"):
                field_texts[code].pop("help", None)
            keys = {v["key"] for v in field.get("values", [])}
            names = field_texts[code].get("values", {})
            for key in [k for k in names if k not in keys]:
                del names[key]
        state_texts = translation.get("states", {})
        for code in [c for c in state_texts if c not in states]:
            del state_texts[code]
        if len(translation.get("groups", [])) != len(document.get("groups", [])):
            translation.pop("groups", None)
    return document
