from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "townsquare.consultations"
    label = "consultations"
    verbose_name = "Consultations"
