# The queue's due-time index grows to cover the counts of the queue's views (assignee, team).
# The new index is built before the old one goes, so queues always have one to sort by.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_unlinked_reporter_email_index'),
        ('catalogue', '0002_service_drafts'),
        ('councils', '0002_gazetteer_places'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['council', 'is_open', 'resolve_due_at', 'assignee', 'team'],
                               name='case_council_due_cover_idx'),
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='case_council_due_idx',
        ),
    ]
