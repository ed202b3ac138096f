import django.db.models.deletion
from django.db import migrations, models


def types_from_test_mode(apps, schema_editor):
    ApiKey = apps.get_model("accounts", "ApiKey")
    ApiKey.objects.filter(test_mode=True).update(key_type="test")
    # Keys made before scopes were Open311 keys, which need none; the REST API lets them read
    # what carries no personal data, nothing more.
    ApiKey.objects.update(scopes=["read_public"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_identity_provider_sealed_secrets")]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="key_type",
            field=models.CharField(
                choices=[("live", "Live"), ("team", "Team and guest list"), ("test", "Test")],
                default="live",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="apikey", name="scopes", field=models.JSONField(default=list)
        ),
        migrations.AddField(
            model_name="apikey",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apikey",
            name="replaced_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.apikey",
            ),
        ),
        migrations.RunPython(types_from_test_mode, migrations.RunPython.noop),
        migrations.RemoveField(model_name="apikey", name="test_mode"),
    ]
