"""Reading and writing template documents as YAML files, with errors that name the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from townsquare.catalogue.schema import TemplateProblem, template_problems

# The longest template text the builder reads (an upload, a paste, a client's YAML).
MAX_TEMPLATE_YAML = 200_000


class TemplateFileError(Exception):
    """A template file that cannot be used; `problems` says where inside it and why."""

    def __init__(self, path: Path | str, problems: list[TemplateProblem]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


def parse_template_yaml(text: str, *, source: str = "<template>") -> dict[str, Any]:
    """Parse and validate one template; raises TemplateFileError listing every problem."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise TemplateFileError(
            source, [TemplateProblem(where, f"not valid YAML: {reason}")]
        ) from None
    return template_checked(document, source=source)


def template_checked(document: Any, *, source: str = "<template>") -> dict[str, Any]:
    """A template as parsed (from YAML, or JSON an API client sent), validated; raises
    TemplateFileError listing every problem."""
    _dates_as_text(document)
    problems = template_problems(document)
    if problems:
        raise TemplateFileError(source, problems)
    return document


def _dates_as_text(document: Any) -> None:
    """YAML reads an unquoted `earliest: 2015-09-01` as a date; the template keeps the text
    (catalogue.dates reads it), so a bound need not be quoted by hand."""
    fields = document.get("fields") if isinstance(document, dict) else None
    for field in fields if isinstance(fields, list) else ():
        for key in ("earliest", "latest"):
            value = field.get(key) if isinstance(field, dict) else None
            if isinstance(value, dt.date):
                field[key] = value.isoformat()[:10]


def load_template_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateFileError(path, [TemplateProblem("", "the file is not UTF-8 text")]) from None
    except OSError as exc:
        raise TemplateFileError(
            path, [TemplateProblem("", f"cannot read: {exc.strerror}")]
        ) from None
    return parse_template_yaml(text, source=str(path))


def dump_template_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def library_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())
