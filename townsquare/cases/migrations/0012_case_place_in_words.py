# Where a report is, in words from the council's gazetteer (issue 12, item 4; ADR 58).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0011_case_identity_level'),
    ]

    operations = [
        # Added in place with SQL that SQLite and PostgreSQL both take: on SQLite, Django adds a
        # NOT NULL column by rebuilding the table, which would drop the map-count triggers
        # (0007, ADR 51). The column's database default is the field's db_default.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name='case', name='place_in_words',
                    field=models.CharField(blank=True, db_default='', default='',
                                           max_length=200),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE cases_case ADD COLUMN place_in_words varchar(200) "
                    "NOT NULL DEFAULT ''",
                    "ALTER TABLE cases_case DROP COLUMN place_in_words",
                ),
            ],
        ),
    ]
