"""townsquare triage train|evaluate — the triage models (issue 19, ADR 200)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from townsquare.catalogue.documents import library_files, load_template_file
from townsquare.insights import backtest
from townsquare.opendata.imports import mapping_load
from townsquare.triage import evaluation
from townsquare.triage.category import boston_titles
from townsquare.triage.selectors import closed_case_texts
from townsquare.triage.training import boston_files, model_save, train_service_model


def _templates() -> list[dict]:
    return [load_template_file(p) for p in library_files(Path(settings.SERVICE_TEMPLATE_LIBRARY))]


class Command(BaseCommand):
    help = "Train the category model, or measure every triage model on held-out data."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser(
            "train",
            help="Train the category model from Boston 2015 (the shared data), the service "
            "templates and the councils' closed cases; save it under TOWNSQUARE_TRIAGE_MODEL_DIR.",
        )
        train.add_argument(
            "--sample",
            type=int,
            default=0,
            help="Use only this many distinct Boston titles (a quick model for tests and demos)",
        )
        evaluate = sub.add_parser("evaluate", help="Print every triage figure.")
        evaluate.add_argument("--json", action="store_true", help="As JSON")
        evaluate.add_argument(
            "--only",
            choices=("personal_data", "category", "duplicates", "spikes"),
            default="",
            help="Only these figures",
        )

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _train(self, *, sample: int, **_options) -> None:
        counts = boston_titles(boston_files())
        if sample:
            counts = type(counts)(dict(sorted(counts.items())[:: max(1, len(counts) // sample)]))
        cases = closed_case_texts()
        model = train_service_model(
            type_to_service=mapping_load("boston").service_map,
            templates=_templates(),
            case_texts=cases,
            boston_counts=counts,
        )
        path = model_save(model)
        self.stdout.write(
            f"Category model trained on {len(counts):,} Boston titles, "
            f"{model.trained_on['template_texts']} template texts and {len(cases):,} closed "
            f"cases ({len(model.labels)} services): {path}\n"
        )

    def _evaluate(self, *, json: bool, only: str, **_options) -> None:
        figures = evaluation_figures(only=only)
        if json:
            self.stdout.write(_json_dumps(figures))
            return
        for section, values in figures.items():
            self.stdout.write(f"{section}:\n")
            for key, value in values.items():
                self.stdout.write(f"  {key}: {value}\n")


def _json_dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def evaluation_figures(*, only: str = "") -> dict:
    figures: dict = {}
    if only in ("", "personal_data"):
        figures["personal_data"] = evaluation.personal_data_figures()
    if only in ("", "category"):
        figures["category"] = evaluation.category_figures(
            counts=boston_titles(boston_files()),
            type_to_service=mapping_load("boston").service_map,
            templates=_templates(),
        )
    if only in ("", "duplicates"):
        figures["duplicates"] = evaluation.duplicate_figures(
            evaluation.boston_cases(boston_files())
        )
    if only in ("", "spikes"):
        mapping = mapping_load("boston")
        replayed = backtest.backtest(
            backtest.reports_from_csv(
                boston_files(), service_map=mapping.service_map, channel_map=mapping.channel_map
            )
        )
        sizes = replayed["detected_within_hour_by_burst_size"]
        # The headline: bursts of 10 reports of one service in one area in an hour.
        figures["spikes"] = {**replayed, "detected_within_hour": sizes["10"]}
    return figures
