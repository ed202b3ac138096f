"""The category model: trained here from small data (the templates and a sample of Boston
titles), measured on a split where no title is on both sides (issue 19, ADR 200)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from townsquare.catalogue.documents import library_files, load_template_file
from townsquare.opendata.imports import mapping_load
from townsquare.triage.category import boston_titles, split_by_title
from townsquare.triage.evaluation import category_figures
from townsquare.triage.training import (
    boston_files,
    model_load,
    model_save,
    train_service_model,
)


def templates():
    return [load_template_file(p) for p in library_files(Path(settings.SERVICE_TEMPLATE_LIBRARY))]


def small_model():
    counts = Counter(
        {
            ("Request for Pothole Repair", "BWSC Pothole"): 40,
            ("Street Light Outages", "Street Light Outages"): 90,
            ("Graffiti Removal", "Graffiti Removal"): 60,
            ("Illegal dumping of mattress", "Illegal Dumping"): 3,
        }
    )
    return train_service_model(
        type_to_service=mapping_load("boston").service_map,
        templates=templates(),
        case_texts=[("rubbish dumped in the alley", "fly_tipping")],
        boston_counts=counts,
        epochs=5,
    )


def test_suggestions_name_the_service_and_the_words_that_weighed():
    model = small_model()
    top = model.suggest("There is a deep pothole in the road outside the school")
    assert top[0].label == "pothole"
    assert "pothole" in top[0].words
    assert len(top) == 3 and top[0].probability > top[1].probability
    only = model.suggest("pothole", allowed={"graffiti", "street_light"})
    assert {s.label for s in only} <= {"graffiti", "street_light"}
    assert model.suggest("   ") == []


def test_a_saved_model_is_read_back_and_none_without_one(settings, tmp_path):
    settings.TRIAGE_MODEL_DIR = tmp_path / "none-yet"
    assert model_load() is None
    settings.TRIAGE_MODEL_DIR = tmp_path
    model_save(small_model())
    loaded = model_load()
    assert loaded is not None and loaded.suggest("street lamp out")[0].label == "street_light"


def test_the_split_keeps_every_title_on_one_side():
    counts = Counter({(f"title {i}", f"type {i % 7}"): i + 1 for i in range(200)})
    train, test = split_by_title(counts)
    assert not {t for t, _ in train} & {t for t, _ in test}
    assert sum(train.values()) + sum(test.values()) == sum(counts.values())
    assert 30 <= len(test) <= 50


@pytest.mark.skipif(not boston_files(), reason="needs Boston 2015 in the shared data")
def test_boston_figures_on_a_sample_of_titles():
    every = boston_titles(boston_files())
    # Every fourth distinct title keeps the test quick; `townsquare triage evaluate` runs all.
    sample = Counter(dict(sorted(every.items())[::4]))
    figures = category_figures(
        counts=sample,
        type_to_service=mapping_load("boston").service_map,
        templates=templates(),
        epochs=5,
    )
    ours = figures["our_services"]
    assert ours["test_titles"] > 50
    assert ours["top3"]["per_title"] >= 0.9
    assert figures["boston_types"]["top3"]["per_title"] >= 0.75
