from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "townsquare.triage"
    label = "triage"
    verbose_name = "Triage"
