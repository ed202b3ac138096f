"""Database triggers that keep MapCellCount equal to counting the public reports per H3 cell
(ADR 51), and what bulk loads use to switch them off and rebuild the counts afterwards."""

from __future__ import annotations

from django.db import connection

# Which rows count: what the public map shows.
COUNTED = (
    "{row}.is_public AND NOT {row}.is_test AND {row}.kind = 'report' AND {row}.h3_r7 IS NOT NULL"
)
KEY = (
    "h3_r7 = {row}.h3_r7 AND council_id = {row}.council_id AND service_id = {row}.service_id "
    "AND is_open = {row}.is_open"
)
CHANGED = " OR ".join(
    f"OLD.{c} IS DISTINCT FROM NEW.{c}"
    for c in ("is_public", "is_test", "kind", "h3_r7", "council_id", "service_id", "is_open")
)
ADD = (
    "INSERT INTO cases_mapcellcount (h3_r7, council_id, service_id, is_open, n) "
    "SELECT {row}.h3_r7, {row}.council_id, {row}.service_id, {row}.is_open, 1 WHERE {counted} "
    "ON CONFLICT (h3_r7, council_id, service_id, is_open) "
    "DO UPDATE SET n = cases_mapcellcount.n + 1"
)
REMOVE = "UPDATE cases_mapcellcount SET n = n - 1 WHERE {key} AND {counted}"


def _add(row):
    return ADD.format(row=row, counted=COUNTED.format(row=row))


def _remove(row):
    return REMOVE.format(key=KEY.format(row=row), counted=COUNTED.format(row=row))


SQLITE = [
    f"CREATE TRIGGER case_map_count_insert AFTER INSERT ON cases_case BEGIN {_add('NEW')}; END",
    f"CREATE TRIGGER case_map_count_delete AFTER DELETE ON cases_case BEGIN {_remove('OLD')}; END",
    f"CREATE TRIGGER case_map_count_update AFTER UPDATE ON cases_case "
    f"WHEN {CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} "
    f"BEGIN {_remove('OLD')}; {_add('NEW')}; END",
]
POSTGRES = [
    f"""CREATE FUNCTION cases_map_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN {_remove("OLD")}; END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') THEN {_add("NEW")}; END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER case_map_count_insert_delete AFTER INSERT OR DELETE ON cases_case "
    "FOR EACH ROW EXECUTE FUNCTION cases_map_count()",
    f"CREATE TRIGGER case_map_count_update AFTER UPDATE ON cases_case FOR EACH ROW "
    f"WHEN ({CHANGED}) EXECUTE FUNCTION cases_map_count()",
]
# Fixed text: every name and value in it is ours, none comes from input.
BACKFILL = (
    "INSERT INTO cases_mapcellcount (h3_r7, council_id, service_id, is_open, n) "  # noqa: S608
    "SELECT h3_r7, council_id, service_id, is_open, COUNT(*) FROM cases_case "
    "WHERE " + COUNTED.format(row="cases_case") + " GROUP BY h3_r7, council_id, service_id, is_open"
)


def create_triggers(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in [*statements, BACKFILL]:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS case_map_count_insert_delete ON cases_case")
        schema_editor.execute("DROP TRIGGER IF EXISTS case_map_count_update ON cases_case")
        schema_editor.execute("DROP FUNCTION IF EXISTS cases_map_count()")
    else:
        for name in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS case_map_count_{name}")


def map_counts_rebuild() -> None:
    """Count again from the cases (after a bulk load ran without the triggers)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_mapcellcount")
        cursor.execute(BACKFILL)


def map_count_triggers_drop() -> None:
    with connection.schema_editor() as editor:
        drop_triggers(None, editor)


def map_count_triggers_create() -> None:
    """(Re)create the triggers, whether or not they exist."""
    map_count_triggers_drop()
    statements = POSTGRES if connection.vendor == "postgresql" else SQLITE
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
