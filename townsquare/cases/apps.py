from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "townsquare.cases"
    label = "cases"
