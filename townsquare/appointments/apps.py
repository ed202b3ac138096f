import datetime as dt

from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "townsquare.appointments"
    label = "appointments"

    def ready(self) -> None:
        from townsquare.appointments.services import sessions_clean_up
        from townsquare.core.periodic import periodic_register

        # Personal data of a session goes the day after it (ADR 191): hourly, so a worker that
        # was down at midnight catches up soon after it starts.
        periodic_register(
            "appointments.clean_up", every=dt.timedelta(hours=1), run=sessions_clean_up
        )
