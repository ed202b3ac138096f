"""A council's identity provider keeps its client secret and private key sealed (encrypted),
and says which of the two the client authenticates with."""

import json

from django.db import migrations, models


def seal_existing(apps, schema_editor):
    from townsquare.core.sealed import seal

    IdentityProvider = apps.get_model("accounts", "IdentityProvider")
    for row in IdentityProvider.objects.all():
        row.client_secret_sealed = seal(row.client_secret)
        row.private_key_sealed = seal(json.dumps(row.private_key_jwk)) if row.private_key_jwk else ""
        row.client_auth = "private_key_jwt" if row.private_key_jwk else "client_secret_post"
        row.save(update_fields=["client_secret_sealed", "private_key_sealed", "client_auth"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_openid_connect"),
    ]

    operations = [
        migrations.AddField(
            model_name="identityprovider",
            name="client_auth",
            field=models.CharField(
                choices=[
                    ("private_key_jwt", "A key pair made here (private_key_jwt)"),
                    ("client_secret_post", "A client secret from the provider"),
                ],
                default="private_key_jwt",
                max_length=30,
            ),
        ),
        migrations.AddField(
            model_name="identityprovider",
            name="client_secret_sealed",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="identityprovider",
            name="private_key_sealed",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.RemoveField(model_name="identityprovider", name="client_secret"),
        migrations.RemoveField(model_name="identityprovider", name="private_key_jwk"),
    ]
