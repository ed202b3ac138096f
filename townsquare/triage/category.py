"""Category suggestion: which service a report's words are about (issue 19, ADR 200).

TF-IDF over word (1-2) and character (2-5, within words) n-grams, then a linear model trained
by stochastic gradient descent with logistic loss, so it gives probabilities and each
suggestion can name the words that weighed most. Trained from the project's own data by
`townsquare triage train`: City of Boston's 2015 case titles mapped to our services by the
Boston import mapping, the service templates' names and keywords, and the closed cases of
the councils here. Nothing is downloaded.

Boston titles repeat (3,388 distinct titles over 121,145 cases, and 76% of them equal their
type), so training uses each distinct (title, label) once, weighted by how often it occurs,
and the held-out figures split by distinct title: no title is in both training and test.
"""

from __future__ import annotations

import csv
import math
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import FeatureUnion

# Boston types that are crews' work logs or office tallies, not what a resident reports.
BOSTON_NOT_REPORTS = {"PRINTED", "CE Collection", "Front Desk Interactions"}


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    weight: float = 1.0


def boston_titles(paths: Iterable[Path]) -> Counter[tuple[str, str]]:
    """(CASE_TITLE, TYPE) -> number of cases, from Boston's 2015 files."""
    counts: Counter[tuple[str, str]] = Counter()
    for path in paths:
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            for row in csv.DictReader(handle):
                title, kind = (row.get("CASE_TITLE") or "").strip(), (row.get("TYPE") or "").strip()
                if title and kind and kind not in BOSTON_NOT_REPORTS:
                    counts[(title, kind)] += 1
    return counts


def examples_from_counts(counts: Counter[tuple[str, str]]) -> list[Example]:
    # log weighting: a title seen 5,000 times should count more than one seen once, but not
    # 5,000 times more, or the model would learn little beyond the commonest titles.
    return [Example(t, k, 1.0 + math.log(n)) for (t, k), n in counts.items()]


class CategoryModel:
    """A trained classifier: `suggest` gives the top labels with their probability and the
    words that weighed most for each."""

    def __init__(self, *, seed: int = 19, epochs: int = 30) -> None:
        self.features = FeatureUnion(
            [
                (
                    "words",
                    TfidfVectorizer(
                        analyzer="word", ngram_range=(1, 2), sublinear_tf=True, lowercase=True
                    ),
                ),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1
                    ),
                ),
            ]
        )
        self.classifier = SGDClassifier(
            loss="log_loss", alpha=1e-5, max_iter=epochs, tol=None, random_state=seed
        )
        self.labels: list[str] = []
        self.word_names: list[str] = []
        self.coef_by_feature = np.zeros((0, 0))
        self.trained_on: dict[str, int] = {}

    def fit(self, examples: list[Example]) -> CategoryModel:
        texts = [e.text for e in examples]
        matrix = self.features.fit_transform(texts)
        self.classifier.fit(
            matrix, [e.label for e in examples], sample_weight=[e.weight for e in examples]
        )
        self.labels = [str(label) for label in self.classifier.classes_]
        # Kept, not rebuilt per suggestion (building it costs tens of milliseconds).
        self.word_names = list(self.features.transformer_list[0][1].get_feature_names_out())
        # Laid out for one sparse row times all classes: scikit-learn's predict_proba copies
        # the transposed coefficients on every call (25 ms of the 35 a suggestion took).
        self.coef_by_feature = np.ascontiguousarray(self.classifier.coef_.T)
        self.trained_on = {"examples": len(examples), "labels": len(self.labels)}
        return self

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return self._probabilities(self.features.transform(texts))

    def _probabilities(self, matrix) -> np.ndarray:
        """One-vs-rest logistic scores, normalised to sum to one per row (as scikit-learn's
        predict_proba for this model)."""
        scores = np.asarray(matrix @ self.coef_by_feature) + self.classifier.intercept_
        probabilities = 1.0 / (1.0 + np.exp(-scores))
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def suggest(
        self, text: str, *, limit: int = 3, allowed: set[str] | None = None
    ) -> list[Suggestion]:
        """The `limit` likeliest labels for `text` (only those in `allowed`, when given)."""
        if not text.strip() or not self.labels:
            return []
        row = self.features.transform([text])
        probabilities = self._probabilities(row)[0]
        order = np.argsort(-probabilities)
        chosen = [i for i in order if allowed is None or self.labels[i] in allowed][:limit]
        return [
            Suggestion(
                label=self.labels[i],
                probability=float(probabilities[i]),
                words=self._words_for(row, i),
            )
            for i in chosen
        ]

    def _words_for(self, row, class_index: int, limit: int = 3) -> list[str]:
        """The words of the text that pushed most towards this label (word features only:
        character n-grams explain nothing to a person)."""
        words_vectorizer = self.features.transformer_list[0][1]
        size = len(words_vectorizer.vocabulary_)
        coefficients = self.classifier.coef_[
            class_index if self.classifier.coef_.shape[0] > 1 else 0
        ]
        row = row.tocsr()
        scored = [
            (row.data[k] * coefficients[j], j)
            for k, j in enumerate(row.indices)
            if j < size and row.data[k] * coefficients[j] > 0
        ]
        names = self.word_names
        # "the" and "in the" may weigh, but explain nothing to a person.
        meaningful = [
            str(names[j])
            for _, j in sorted(scored, reverse=True)
            if not all(word in ENGLISH_STOP_WORDS for word in str(names[j]).split())
        ]
        return meaningful[:limit]


@dataclass(frozen=True)
class Suggestion:
    label: str
    probability: float
    words: list[str]


def split_by_title(
    counts: Counter[tuple[str, str]], *, test_share: float = 0.2, seed: int = 19
) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """Distinct titles drawn at random into test (about `test_share` of them); every case of a
    title goes with it, so no title is on both sides."""
    titles = sorted({title for title, _ in counts})
    random.Random(seed).shuffle(titles)
    test_titles = set(titles[: round(len(titles) * test_share)])
    train: Counter[tuple[str, str]] = Counter()
    test: Counter[tuple[str, str]] = Counter()
    for key, n in counts.items():
        (test if key[0] in test_titles else train)[key] = n
    return train, test


def top_k_accuracy(
    model: CategoryModel, test: Counter[tuple[str, str]], k: int = 3
) -> dict[str, float]:
    """Top-k accuracy on held-out titles, per case (each case counts) and per distinct title."""
    keys = list(test)
    if not keys:
        return {"per_case": 0.0, "per_title": 0.0}
    probabilities = model.probabilities([title for title, _ in keys])
    index = {label: i for i, label in enumerate(model.labels)}
    top = np.argsort(-probabilities, axis=1)[:, :k]
    hit_cases = hit_titles = 0
    total_cases = sum(test.values())
    for row, (title, label) in enumerate(keys):
        hit = label in index and index[label] in top[row]
        hit_titles += hit
        hit_cases += hit * test[(title, label)]
    return {
        "per_case": round(hit_cases / total_cases, 4),
        "per_title": round(hit_titles / len(keys), 4),
    }
