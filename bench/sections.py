"""Each benchmark owns one section of bench/RESULTS.md, between its own start and end marker
lines, and rewrites only that section, so benchmarks run at different times (and on different
days) keep each other's figures."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(section: str, *, start: str, end: str, path: Path = RESULTS) -> None:
    """Replace the text from `start` to `end` (both included; `section` must hold them) with
    `section`, or add it at the end of the file when it is not there yet."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if start in text and end in text.split(start, 1)[1]:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)
