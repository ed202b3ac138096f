"""Training the category model from the project's own data, saving it under the deployment's
var/ folder, and loading it (ADR 200). Nothing is downloaded: the model is built by
`townsquare triage train` (which `make run` calls through the demo) from Boston's 2015 files
in the shared data, the service templates and the councils' closed cases."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import joblib
from django.conf import settings

from townsquare.triage.category import CategoryModel, Example, boston_titles

MODEL_FILE = "category.joblib"


def boston_files() -> list[Path]:
    return sorted((Path(settings.SHARED_DATA_DIR) / "boston311_2015").glob("*.csv"))


def service_examples(
    *,
    boston_counts: Counter[tuple[str, str]],
    type_to_service: dict[str, str],
    templates: list[dict[str, Any]],
    case_texts: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> list[Example]:
    """Labelled by our service codes: Boston titles whose type the Boston import maps to a
    service; each template's name, group, keywords and description (English and Welsh); and
    the councils' own closed cases (what they said, the service staff left them under)."""
    import math

    examples = [
        Example(title, type_to_service[kind], 1.0 + math.log(n))
        for (title, kind), n in boston_counts.items()
        if kind in type_to_service
    ]
    for template in templates:
        code = template.get("code")
        if not code or template.get("kind", "report") != "report":
            continue
        texts = [template.get("name", ""), *template.get("keywords", [])]
        texts.append(str(template.get("description", ""))[:300])
        for translation in (template.get("translations") or {}).values():
            if isinstance(translation, dict):
                texts.append(str(translation.get("name", "")))
                texts.extend(str(k) for k in translation.get("keywords", []) or [])
        examples.extend(Example(text, code, 3.0) for text in texts if text.strip())
    examples.extend(Example(text, code, 1.0) for text, code in case_texts if text.strip())
    return examples


def train_service_model(
    *,
    type_to_service: dict[str, str],
    templates: list[dict[str, Any]],
    case_texts: list[tuple[str, str]],
    boston_counts: Counter[tuple[str, str]] | None = None,
    epochs: int = 10,
) -> CategoryModel:
    counts = boston_titles(boston_files()) if boston_counts is None else boston_counts
    examples = service_examples(
        boston_counts=counts,
        type_to_service=type_to_service,
        templates=templates,
        case_texts=case_texts,
    )
    model = CategoryModel(epochs=epochs)
    model.classifier.set_params(alpha=3e-4)
    model.fit(examples)
    model.trained_on.update(
        boston_titles=len(counts),
        template_texts=sum(1 for e in examples if e.weight == 3.0),
        council_cases=len(case_texts),
    )
    return model


def model_path() -> Path:
    return Path(settings.TRIAGE_MODEL_DIR) / MODEL_FILE


def model_save(model: CategoryModel) -> Path:
    path = model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    joblib.dump(model, partial)
    partial.replace(path)  # readers see the old model or the new one, never half of one
    return path


_loaded: dict[str, Any] = {}
_lock = threading.Lock()


def model_load() -> CategoryModel | None:
    """The saved model (read again when the file changes), or None when none was trained:
    then no suggestion is shown, and everything else works."""
    path = model_path()
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    with _lock:
        if _loaded.get("stamp") != (str(path), stamp):
            # Our own file, written by model_save from our own training; never a download.
            _loaded["model"] = joblib.load(path)  # nosec B301
            _loaded["stamp"] = (str(path), stamp)
        return _loaded["model"]
