from django.apps import AppConfig


class UiConfig(AppConfig):
    """The citizen web's look: GOV.UK Frontend assets, the page layout and component tags.

    Presentation only: no business rules, no queries. Pages give the layout `page_council`
    (a Council or None) to show that council's name and colour in the header.
    """

    name = "townsquare.ui"
    label = "ui"
