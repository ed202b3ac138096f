# Where a report is, in words from the council's gazetteer (issue 12, item 4; ADR 58).

from django.db import migrations, models

FIELD = models.CharField(blank=True, db_default='', default='', max_length=200)


def add_column(apps, schema_editor):
    # On SQLite, Django adds a NOT NULL column by rebuilding the table, which would drop the
    # map-count triggers (0007, ADR 51); SQLite can add this one in place.
    if schema_editor.connection.vendor == 'sqlite':
        schema_editor.execute("ALTER TABLE cases_case ADD COLUMN place_in_words "
                              "varchar(200) NOT NULL DEFAULT ''")
        return
    case = apps.get_model('cases', 'Case')
    field = FIELD.clone()
    field.set_attributes_from_name('place_in_words')
    schema_editor.add_field(case, field)


def drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE cases_case DROP COLUMN place_in_words")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_queue_counts_covering_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name='case', name='place_in_words', field=FIELD),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
    ]
