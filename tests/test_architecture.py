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
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
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
                offenders += [
                    f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith(INTERFACE_ONLY)
                ]
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


# Interfaces call selectors and services, never a model's manager (docs/architecture.md,
# ADR 86), so the citizen web, staff web, APIs and Open311 read the same rows the same way.
INTERFACES = ("portal", "staff", "api", "open311", "live")
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
# The only interface modules that query models: each keeps state of its own interface alone
# (its own app's models, never domain data), and is its store for that state.
OWN_STATE_STORES = {
    "townsquare/staff/saved_views.py": "SavedView: a person's saved queue filters",
    "townsquare/portal/drafts.py": "ApplicationDraft, DraftDocument: applications until sent "
    "(ADR 60)",
    "townsquare/portal/signin.py": "SignInLink: one-time citizen sign-in links (ADR 60, 61)",
    "townsquare/open311/services.py": "PendingRequest, ClientRequestKey, ClientUpdate: the "
    "adapter's idempotency and batch bookkeeping (ADR 9)",
    "townsquare/api/store.py": "RateBucket, IdempotentRequest, ApiCall: the REST API's rate "
    "limits, idempotency records and call log (ADR 121)",
}


def _manager_uses(source: str, *, app: str, path: str) -> list[str]:
    """Each `<Model>.objects` (or another way to a model's manager) in `source`, a module of
    interface `app` at `path`, that the rule forbids."""
    tree = ast.parse(source)
    imported_from = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                imported_from[alias.asname or alias.name] = node.module
    own_models = f"townsquare.{app}.models"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if imported_from.get(owner) == own_models and path in OWN_STATE_STORES:
                continue
            found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Attribute) and node.attr == "get_model":
            found.append(f"{path}:{node.lineno}: {ast.unparse(node)} (a model by name)")
    return found


def _interface_modules() -> list[tuple[str, Path]]:
    return [
        (app, path)
        for app in INTERFACES
        for path in sorted((ROOT / "townsquare" / app).rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def test_interfaces_never_use_model_managers():
    offenders = []
    for app, path in _interface_modules():
        offenders += _manager_uses(
            path.read_text(), app=app, path=path.relative_to(ROOT).as_posix()
        )
    assert offenders == [], (
        "Read through a selector (<app>/selectors.py) or write through a service instead:\n"
        + "\n".join(offenders)
    )


def test_every_own_state_store_is_real_and_used():
    """The allow-list stays small and true: each entry exists and queries its own models."""
    for path in OWN_STATE_STORES:
        app = path.split("/")[1]
        source = (ROOT / path).read_text()
        assert f"from townsquare.{app}.models import" in source, path
        assert ".objects" in source, f"{path} no longer queries: drop it from the list"


def test_the_manager_rule_catches_what_it_should():
    domain = "from townsquare.cases.models import Case\nCase.objects.filter(id=1)\n"
    assert _manager_uses(domain, app="staff", path="townsquare/staff/x.py")
    own = "from townsquare.staff.models import SavedView\nSavedView.objects.all()\n"
    assert _manager_uses(own, app="staff", path="townsquare/staff/queues.py")
    assert not _manager_uses(own, app="staff", path="townsquare/staff/saved_views.py")
    # Another interface's models, or a domain model in a store, are never allowed.
    other = "from townsquare.portal.models import SignInLink\nSignInLink.objects.all()\n"
    assert _manager_uses(other, app="staff", path="townsquare/staff/saved_views.py")
    assert _manager_uses(domain, app="staff", path="townsquare/staff/saved_views.py")
    assert _manager_uses("type(case)._default_manager.all()\n", app="api", path="x.py")
    assert _manager_uses(
        "from django.apps import apps\napps.get_model('cases', 'Case')\n", app="api", path="x.py"
    )


def test_every_adr_is_in_the_index_under_its_own_title():
    adr = ROOT / "docs" / "adr"
    index = (adr / "README.md").read_text()
    for path in sorted(adr.glob("[0-9][0-9][0-9][0-9]-*.md")):
        title = path.read_text().splitlines()[0].removeprefix("# ")
        assert f"[{title}]({path.name})" in index, f"docs/adr/README.md should list {path.name}"
