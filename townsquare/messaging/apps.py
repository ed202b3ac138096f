from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "townsquare.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from townsquare.messaging import handlers

        handlers.connect()
