"""Triage figures (issue 19) into bench/RESULTS.md, from the shipped data:

    python bench/triage.py          # or: make triage-figures

Runs `townsquare triage evaluate --json` (every model measured on held-out data; the same
command prints them for anyone) and writes its section, with the issue's targets beside.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from sections import write_section

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- triage:start -->", "<!-- triage:end -->"


def _row(name: str, value, target: str) -> str:
    if isinstance(value, bool):
        met = "yes" if value else "**no**"
        return f"| {name} | {met} | {target} |"
    return f"| {name} | {value} | {target} |"


def main() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    raw = subprocess.run(
        [sys.executable, "-m", "townsquare.cli", "triage", "evaluate", "--json"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = json.loads(raw)
    lines = [
        START,
        "## Triage (issue 19)",
        "",
        f"`python bench/triage.py` (`townsquare triage evaluate --json`), "
        f"{dt.date.today().isoformat()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores. Model card: docs/triage/model-card.md.",
        "",
        "| figure | measured | target |",
        "|---|---|---|",
    ]
    pd = figures.get("personal_data")
    if pd:
        lines += [
            _row(
                f"Personal data: recall on {pd['texts']} synthetic UK texts "
                f"({pd['labelled_spans']} labelled items, {pd['texts_without_personal_data']} "
                "texts without any)",
                pd["recall"],
                ">= 0.95",
            ),
            _row("Personal data: precision", pd["precision"], ">= 0.9"),
            _row("Personal data: right kind named", pd["kind_accuracy"], ""),
        ]
    cat = figures.get("category")
    if cat:
        ours, types = cat["our_services"], cat["boston_types"]
        lines += [
            _row(
                f"Category, our {ours['labels']} services: top-3 on {ours['test_titles']} "
                f"held-out distinct Boston titles (split by title)",
                ours["top3"]["per_title"],
                ">= 0.95",
            ),
            _row(
                f"... the same per case ({ours['test_cases']:,} cases)",
                ours["top3"]["per_case"],
                "",
            ),
            _row(
                "... top-1 per title / per case",
                f"{ours['top1']['per_title']} / {ours['top1']['per_case']}",
                "",
            ),
            _row(
                f"Category, Boston's own {types['labels']} types: top-3 per held-out title "
                f"({types['test_titles']} titles)",
                types["top3"]["per_title"],
                "(harder than asked: 137 types)",
            ),
            _row(
                "... per case (a few titles hold thousands of cases each: see the model card)",
                types["top3"]["per_case"],
                "",
            ),
            _row(
                "... held-out titles whose type has another title in training (the ceiling)",
                types["test_titles_with_type_seen_in_training"],
                "",
            ),
            _row(
                "Category: one suggestion, wall median / p95 ms (CPU median ms)",
                f"{cat['suggest_ms_median']} / {cat['suggest_ms_p95']} "
                f"({cat['suggest_cpu_ms_median']})",
                "< 20 ms",
            ),
        ]
    dup = figures.get("duplicates")
    if dup:
        lines += [
            _row(
                f"Duplicates: a plausible original in the top 3, of {dup['duplicates']:,} Boston "
                "cases closed as duplicates",
                dup["original_in_top3"],
                ">= 0.70",
            ),
            _row(
                f"Duplicates: anything suggested for non-duplicates ({dup['non_duplicates']:,})",
                dup["suggested_for_non_duplicates"],
                "<= 0.10",
            ),
        ]
    spikes = figures.get("spikes")
    if spikes:
        lines += [
            _row(
                f"Spikes: {spikes['bursts']} planted bursts of 10 reports in one hour, service "
                f"and area, alerted at the end of that hour (by burst size: "
                f"{spikes['detected_within_hour_by_burst_size']})",
                spikes["detected_within_hour"],
                ">= 0.95",
            ),
            _row(
                f"Spikes: alerts on the real 2015 year ({spikes['alerts_on_the_real_year']}, "
                "all counted as false) per council-week",
                spikes["false_alerts_per_week"],
                "<= 1",
            ),
        ]
    lines.append(END)
    write_section("\n".join(lines), start=START, end=END)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
