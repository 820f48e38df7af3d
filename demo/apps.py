from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo clinic and the scale generator: the top layer, importing every app and imported by none."""

    name = "demo"
    verbose_name = "Demo and scale data"
