from django.apps import AppConfig


class WikiConfig(AppConfig):
    name = "townsquare.wiki"
    label = "wiki"
    verbose_name = "Municipedia"
