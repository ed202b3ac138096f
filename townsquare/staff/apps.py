from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "townsquare.staff"
    label = "staff"
