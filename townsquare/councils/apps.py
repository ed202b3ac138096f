from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "townsquare.councils"
    label = "councils"
