"""Migrations are checked by machine (ADR 13): every model change has its migration, and each
app's history is one line, numbered without gaps or repeats, so two branches that both add a
migration fail here instead of merging into a fork that deployments must reconcile."""

from __future__ import annotations

import itertools
import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

OURS = sorted(
    config.label for config in apps.get_app_configs() if config.name.startswith("townsquare.")
)


def test_every_model_change_has_its_migration(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.parametrize("app", OURS)
def test_migrations_form_one_numbered_line(app):
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = sorted(name for label, name in loader.disk_migrations if label == app)
    if not names:
        return
    numbers = [int(re.match(r"(\d{4})_", name).group(1)) for name in names]
    assert numbers == list(range(1, len(names) + 1)), f"{app}: numbered {names}"
    for previous, name in itertools.pairwise(names):
        migration = loader.disk_migrations[(app, name)]
        own_parents = [dep for dep in migration.dependencies if dep[0] == app]
        assert own_parents == [(app, previous)], f"{app}.{name} should follow {previous} alone"
