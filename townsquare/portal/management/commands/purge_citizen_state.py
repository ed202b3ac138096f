from django.core.management.base import BaseCommand

from townsquare.portal.drafts import drafts_purge
from townsquare.portal.signin import sign_in_links_purge


class Command(BaseCommand):
    help = (
        "Delete application drafts not changed for 30 days (and their uploaded files) and "
        "sign-in links a day after they expired. `townsquare worker` does it every hour; this "
        "runs it now."
    )

    def handle(self, *args, **options):
        drafts = drafts_purge()
        links = sign_in_links_purge()
        self.stdout.write(f"Deleted {drafts} expired drafts and {links} old sign-in links.")
