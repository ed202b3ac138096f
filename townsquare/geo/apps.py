from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "townsquare.geo"
    label = "geo"
