"""Consultations benchmark (issue #20): 100,000 responses, then theme and ward counts and the
public results page, cold (caches emptied) and warm; and opinion groups over 10,000 people and
100 statements. Runs in a fresh SQLite database of its own and writes its section of
bench/RESULTS.md.

    python bench/consultations.py [--responses 100000] [--people 10000] [--statements 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _django(var: Path) -> None:
    os.environ["TOWNSQUARE_VAR_DIR"] = str(var)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # Pages render without `collectstatic` (as in the tests): plain static file names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    call_command("migrate", verbosity=0)


def _timed(run, *, repeat: int = 5, cold=None) -> float:
    """Median milliseconds of `repeat` runs (each after `cold()` when given)."""
    times = []
    for _ in range(repeat):
        if cold:
            cold()
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=100)
    args = parser.parse_args()
    _django(Path(tempfile.mkdtemp(prefix="bench-consult-")))

    from django.test import Client

    from tests import factories
    from townsquare.consultations.models import Response, ResponseTheme
    from townsquare.consultations.opinion import opinion_groups
    from townsquare.consultations.selectors import _counts as memoised_counts
    from townsquare.consultations.selectors import (
        analysis_get,
        opinion_groups_get,
        statement_votes,
    )
    from townsquare.consultations.services import (
        consultation_create,
        consultation_move,
        question_add,
        responses_import,
        theme_add,
    )
    from townsquare.core import clock

    council = factories.make_council("benchshire", prefix="BEN")
    _, runner = factories.make_staff(council, "supervisor")
    today = clock.now().date()
    rng = random.Random(20)
    wards = list(council.areas.values_list("pk", flat=True))

    def consultation(title: str):
        return consultation_create(
            council=council, title=title, opens_on=today, closes_on=today, actor=runner
        )

    big = consultation("A hundred thousand answers")
    options = [{"name": f"Option {i}"} for i in range(1, 5)]
    question_add(
        consultation=big,
        kind="singlevaluelist",
        code="one",
        label="One",
        options=options,
        actor=runner,
    )
    question_add(
        consultation=big,
        kind="multivaluelist",
        code="many",
        label="Many",
        options=options,
        actor=runner,
    )
    question_add(
        consultation=big,
        kind="ranking",
        code="order",
        label="Order",
        options=options[:3],
        actor=runner,
    )
    for i in range(5):
        question_add(consultation=big, kind="statement", code=f"s{i}", label=f"S{i}", actor=runner)
    question_add(consultation=big, kind="text", code="words", label="Words", actor=runner)
    big = consultation_move(consultation=big, to_state="open", actor=runner)
    keys = [f"option-{i}" for i in range(1, 5)]
    votes = ("agree", "disagree", "pass")
    started = time.perf_counter()
    responses_import(
        consultation=big,
        actor=runner,
        rows=(
            {
                "answers": {
                    "one": rng.choice(keys),
                    "many": rng.sample(keys, rng.randint(1, 3)),
                    "order": rng.sample(keys[:3], 3),
                    **{f"s{i}": rng.choice(votes) for i in range(5)},
                    "words": "Some words" if rng.random() < 0.3 else "",
                },
                "area_id": rng.choice(wards),
            }
            for _ in range(args.responses)
        ),
    )
    import_seconds = time.perf_counter() - started
    big = consultation_move(consultation=big, to_state="closed", actor=runner)
    big = consultation_move(consultation=big, to_state="analysis", actor=runner)
    themes = [theme_add(consultation=big, name=f"Theme {i}", actor=runner).pk for i in range(10)]
    ids = list(Response.objects.filter(consultation=big).values_list("pk", flat=True))
    ResponseTheme.objects.bulk_create(
        (ResponseTheme(response_id=r, theme_id=t) for r in ids for t in rng.sample(themes, 2)),
        batch_size=5000,
    )
    theme_add(consultation=big, name="After the bulk tags", actor=runner)  # a new stamp

    counts_cold = _timed(lambda: analysis_get(consultation=big), cold=memoised_counts.invalidate)
    counts_warm = _timed(lambda: analysis_get(consultation=big))
    client = Client()
    url = f"/consultations/{council.slug}/{big.slug}/results"
    assert client.get(url).status_code == 200
    page_cold = _timed(lambda: client.get(url), cold=memoised_counts.invalidate)
    page_warm = _timed(lambda: client.get(url))

    many = consultation("A hundred statements")
    for i in range(args.statements):
        question_add(consultation=many, kind="statement", code=f"s{i}", label=f"S{i}", actor=runner)
    many = consultation_move(consultation=many, to_state="open", actor=runner)
    leaning = [[rng.random() for _ in range(args.statements)] for _ in range(3)]
    rows = []
    for _ in range(args.people):
        camp = leaning[rng.randrange(3)]
        rows.append(
            {
                "answers": {
                    f"s{i}": "pass"
                    if rng.random() < 0.1
                    else ("agree" if rng.random() < camp[i] else "disagree")
                    for i in range(args.statements)
                }
            }
        )
    responses_import(consultation=many, rows=rows, actor=runner)
    groups_cold = _timed(
        lambda: opinion_groups_get(consultation=many), cold=memoised_counts.invalidate, repeat=3
    )
    _statements, matrix = statement_votes(consultation=many)
    clustering = _timed(lambda: opinion_groups(matrix, seed=20), repeat=3)
    found = opinion_groups(matrix, seed=20)

    from bench.sections import write_section

    start, end = "<!-- consultations:start -->", "<!-- consultations:end -->"
    section = f"""{start}
## Consultations (issue #20)

SQLite, {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores
shared with other work; medians of 5 runs (3 for opinion groups). Cold: the consultation's
memoised counts emptied before each run (every GROUP BY runs); warm: the counts memoised until
the consultation's next event.

| What | Figure | Target |
|---|---|---|
| Import {args.responses:,} responses (9 questions, about {args.responses * 8:,} \
answers) | {import_seconds:.1f} s | |
| Theme and ward counts, cold | {counts_cold:.0f} ms | under 200 ms |
| Theme and ward counts, warm | {counts_warm:.1f} ms | under 200 ms |
| Results page (GET, whole response), cold | {page_cold:.0f} ms | under 200 ms |
| Results page, warm | {page_warm:.1f} ms | under 200 ms |
| Opinion groups, {args.people:,} people x {args.statements} statements, with the reading \
of every vote | {groups_cold / 1000:.1f} s | under 10 s |
| ... of which the clustering alone | {clustering / 1000:.2f} s | |

Opinion groups found {len(found.groups) if found else 0} groups (seed 20).
{end}"""
    write_section(section, start=start, end=end)
    print(section)


if __name__ == "__main__":
    main()
