import datetime as dt

from django.apps import AppConfig


class NeighbourhoodsConfig(AppConfig):
    name = "townsquare.neighbourhoods"
    label = "neighbourhoods"

    def ready(self) -> None:
        from townsquare.core.periodic import periodic_register
        from townsquare.neighbourhoods.services import posts_anonymise_expired

        # Posts lose their author and display name when the council's retention ends.
        periodic_register(
            "neighbourhoods.anonymise_expired",
            every=dt.timedelta(hours=6),
            run=posts_anonymise_expired,
        )
