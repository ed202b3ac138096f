"""Template translations (ADR 63): checked against the English part, and laid over it."""

from __future__ import annotations

import copy

from tests.factories import template
from townsquare.catalogue.schema import template_problems
from townsquare.catalogue.translations import localised

WELSH = {
    "name": "Twll yn y ffordd",
    "group": "Ffyrdd",
    "fields": {"depth": {"label": "Pa mor ddwfn?", "values": {"deep": "Dwfn"}}},
    "states": {"fixed": {"name": "Wedi'i drwsio", "message": "Rydym wedi ei drwsio."}},
}


def test_a_translation_is_laid_over_the_english_and_gaps_stay_english():
    document = template(translations={"cy": WELSH})
    before = copy.deepcopy(document)
    welsh = localised(document, "cy")
    assert welsh["name"] == "Twll yn y ffordd" and welsh["group"] == "Ffyrdd"
    assert welsh["description"] == "A hole in the road."  # not translated: English shows
    depth = welsh["fields"][0]
    assert depth["label"] == "Pa mor ddwfn?"
    assert [v["name"] for v in depth["values"]] == ["Shallow", "Dwfn"]
    states = {s["code"]: s for s in welsh["workflow"]["states"]}
    assert states["fixed"]["name"] == "Wedi'i drwsio"
    assert states["fixed"]["message"] == "Rydym wedi ei drwsio."
    assert states["submitted"]["name"] == "Submitted"
    assert document == before  # the stored document is untouched


def test_english_and_unknown_languages_get_the_document_itself():
    document = template(translations={"cy": WELSH})
    assert localised(document, "en") is document
    assert localised(document, "fr") is document
    assert localised(document, None) is document
    assert localised(document, "cy-GB")["name"] == "Twll yn y ffordd"


def test_a_valid_translation_passes():
    assert template_problems(template(translations={"cy": WELSH})) == []


def test_a_translation_naming_what_the_template_lacks_is_refused_with_its_place():
    welsh = {
        "fields": {
            "colour": {"label": "Lliw"},
            "depth": {"label": "Dyfnder", "help": "Cymorth", "values": {"bottomless": "Diwaelod"}},
        },
        "states": {"fixd": {"name": "Wedi'i drwsio"}},
        "groups": ["Ffyrdd"],
    }
    problems = {p.path: p.reason for p in template_problems(template(translations={"cy": welsh}))}
    assert problems == {
        "translations.cy.fields.colour": "no field is called 'colour'",
        "translations.cy.fields.depth.help": "the field has no help text to translate",
        "translations.cy.fields.depth.values.bottomless": "the field has no value 'bottomless'",
        "translations.cy.states.fixd": "no state is called 'fixd'",
        "translations.cy.groups": "has 1 groups but the template has 0",
    }


def test_only_known_languages_and_keys_are_accepted():
    problems = [str(p) for p in template_problems(template(translations={"fr": {"name": "Nid"}}))]
    assert problems == ["translations: Unknown key(s) ('fr' was unexpected)"]
    problems = [
        str(p)
        for p in template_problems(template(translations={"cy": {"name": "", "colour": "coch"}}))
    ]
    assert any("translations.cy" in p and "colour" in p for p in problems)
    assert any(p.startswith("translations.cy.name") for p in problems)


def test_builder_edits_drop_the_translations_of_what_they_remove():
    from townsquare.catalogue.editing import field_remove, state_remove

    document = template(translations={"cy": WELSH})
    document = field_remove(document, 0)  # depth
    document = state_remove(document, 2)  # fixed
    assert document["translations"]["cy"]["fields"] == {}
    assert document["translations"]["cy"]["states"] == {}
    assert template_problems(document) == []
