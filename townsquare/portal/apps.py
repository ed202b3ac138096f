import datetime as dt

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "townsquare.portal"
    label = "portal"

    def ready(self) -> None:
        from townsquare.core.periodic import periodic_register
        from townsquare.portal.tasks import citizen_state_purge

        # Drafts untouched for 30 days (with their files) and spent sign-in links.
        periodic_register(
            "portal.purge_citizen_state", every=dt.timedelta(hours=1), run=citizen_state_purge
        )
