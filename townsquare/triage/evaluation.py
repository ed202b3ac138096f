"""The figures of `townsquare triage evaluate`: each model measured on held-out data.

Pure functions over data passed in, so the tests measure small sets and the command the full
ones. Figures are plain dicts (JSON for --json, a table for bench/RESULTS.md).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from townsquare.triage import personal_data

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
