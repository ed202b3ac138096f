from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "townsquare.cli"
    label = "cli"
    verbose_name = "Townsquare command line"
