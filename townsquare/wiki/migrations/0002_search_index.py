"""Full-text search index: FTS5 with triggers on SQLite, a GIN index on PostgreSQL (ADR 170)."""

from django.db import migrations


def setup(apps, schema_editor):
    from townsquare.wiki.search import search_setup

    search_setup(schema_editor)


def teardown(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in ("wiki_article_fts_ai", "wiki_article_fts_ad", "wiki_article_fts_au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute("DROP TABLE IF EXISTS wiki_article_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS wiki_article_search")


class Migration(migrations.Migration):
    dependencies = [("wiki", "0001_initial")]

    operations = [migrations.RunPython(setup, teardown)]
