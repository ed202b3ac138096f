"""The figures of `townsquare triage evaluate`: each model measured on held-out data.

Pure functions over data passed in, so the tests measure small sets and the command the full
ones. Figures are plain dicts (JSON for --json, a table for bench/RESULTS.md).
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from townsquare.triage import personal_data
from townsquare.triage.category import CategoryModel, Example, split_by_title, top_k_accuracy
from townsquare.triage.training import service_examples

PERSONAL_DATA_SET = Path(__file__).resolve().parent / "tests" / "data" / "personal_data_uk.jsonl"


def personal_data_figures(path: Path = PERSONAL_DATA_SET) -> dict[str, Any]:
    """Recall: labelled spans that a finding overlaps. Precision: findings that overlap a
    labelled span. A span hidden under another kind's label still counts as hidden (the
    resident is protected); the kind accuracy is reported beside it."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    labelled = found = hit_labels = hit_findings = same_kind = 0
    missed: Counter[str] = Counter()
    false: Counter[str] = Counter()
    for row in rows:
        spans = row["spans"]
        findings = personal_data.find(row["text"])
        labelled += len(spans)
        found += len(findings)
        for span in spans:
            overlapping = [f for f in findings if f.start < span["end"] and span["start"] < f.end]
            if overlapping:
                hit_labels += 1
                same_kind += any(f.kind == span["kind"] for f in overlapping)
            else:
                missed[span["kind"]] += 1
        for finding in findings:
            if any(finding.start < s["end"] and s["start"] < finding.end for s in spans):
                hit_findings += 1
            else:
                false[finding.kind] += 1
    return {
        "texts": len(rows),
        "texts_without_personal_data": sum(1 for row in rows if not row["spans"]),
        "labelled_spans": labelled,
        "recall": round(hit_labels / labelled, 4) if labelled else 1.0,
        "precision": round(hit_findings / found, 4) if found else 1.0,
        "kind_accuracy": round(same_kind / hit_labels, 4) if hit_labels else 1.0,
        "missed_by_kind": dict(sorted(missed.items())),
        "false_alarms_by_kind": dict(sorted(false.items())),
    }


def category_figures(
    *,
    counts: Counter[tuple[str, str]],
    type_to_service: dict[str, str],
    templates: list[dict[str, Any]],
    epochs: int = 10,
) -> dict[str, Any]:
    """Top-1 and top-3 accuracy on held-out Boston titles (split by distinct title), for
    Boston's own types and for our services (the types the Boston import maps), plus the
    time one suggestion takes (median of 200, on this machine)."""
    train, test = split_by_title(counts)
    by_type = CategoryModel(epochs=epochs)
    by_type.classifier.set_params(alpha=3e-4)
    by_type.fit([Example(t, k, 1.0) for (t, k) in train])

    mapped: Counter[tuple[str, str]] = Counter()
    for (title, kind), n in counts.items():
        if kind in type_to_service:
            mapped[(title, type_to_service[kind])] += n
    service_train, service_test = split_by_title(mapped)
    examples = service_examples(
        boston_counts=Counter(), type_to_service={}, templates=templates, case_texts=[]
    )
    examples += [Example(t, code, 1.0) for (t, code) in service_train]
    by_service = CategoryModel(epochs=epochs)
    by_service.classifier.set_params(alpha=3e-4)
    by_service.fit(examples)

    timings = []
    for i in range(200):
        started = time.perf_counter()
        by_service.suggest(f"there is a deep pothole outside number {i} by the bus stop")
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "boston_types": {
            "labels": len(by_type.labels),
            "train_titles": len(train),
            "test_titles": len(test),
            "test_cases": sum(test.values()),
            "top1": top_k_accuracy(by_type, test, 1),
            "top3": top_k_accuracy(by_type, test, 3),
            # A title whose type has no other title in training cannot be learnt at all.
            "test_titles_with_type_seen_in_training": round(
                sum(1 for _, k in test if k in {kind for _, kind in train}) / max(1, len(test)), 4
            ),
        },
        "our_services": {
            "labels": len(by_service.labels),
            "train_titles": len(service_train),
            "test_titles": len(service_test),
            "test_cases": sum(service_test.values()),
            "top1": top_k_accuracy(by_service, service_test, 1),
            "top3": top_k_accuracy(by_service, service_test, 3),
        },
        "suggest_ms_median": round(statistics.median(timings), 2),
        "suggest_ms_p95": round(sorted(timings)[int(len(timings) * 0.95)], 2),
    }
