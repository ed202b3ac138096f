from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "townsquare.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from townsquare.insights import reactions

        reactions.connect()
