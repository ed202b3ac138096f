from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "townsquare.opendata"
    label = "opendata"
    verbose_name = "Open data"
