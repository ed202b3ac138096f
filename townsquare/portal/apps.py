from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "townsquare.portal"
    label = "portal"
