from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "townsquare.live"
    label = "live"
    verbose_name = "Live updates"

    def ready(self) -> None:
        from townsquare.live import broker

        broker.connect_notifier()
