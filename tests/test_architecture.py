"""The layer rules of docs/architecture hold, and every setting is documented."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_layer_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(  # noqa: S603 - our own tool
       [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


DOMAIN_APPS = ("core", "accounts", "geo", "councils", "catalogue", "cases")
INTERFACE_ONLY = ("django.http", "django.shortcuts", "ninja", "django.views")


def test_the_domain_never_imports_http_or_api_frameworks():
    offenders = []
    for app in DOMAIN_APPS:
        for path in (ROOT / "townsquare" / app).rglob("*.py"):
            if "tests" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                              if n.startswith(INTERFACE_ONLY)]
    assert offenders == []


def test_every_environment_variable_is_documented():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    names = set(re.findall(r'_env(?:_bool)?\("([A-Z_]+)"', settings_source))
    doc = (ROOT / "docs" / "operations" / "configuration.md").read_text()
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert names and missing == []


def test_only_settings_reads_the_environment():
    offenders = []
    for path in (ROOT / "townsquare").rglob("*.py"):
        if "tests" in path.parts:
            continue
        text = path.read_text()
        if "os.environ" in text or "os.getenv" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [] or offenders == ["townsquare/cli/__init__.py"], offenders
