from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "townsquare.core"
    label = "core"
    verbose_name = "Townsquare core"
