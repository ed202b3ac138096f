import datetime as dt

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "townsquare.cases"
    label = "cases"

    def ready(self) -> None:
        from townsquare.cases.services import cases_anonymise_expired
        from townsquare.core.periodic import periodic_register

        # Personal data goes when the service's retention period ends, without anyone asking:
        # up to 1,000 cases a turn, so a backlog (an import of old cases) drains over hours
        # instead of holding the worker.
        periodic_register(
            "cases.anonymise_expired", every=dt.timedelta(hours=1), run=cases_anonymise_expired
        )
