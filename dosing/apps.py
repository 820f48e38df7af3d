from django.apps import AppConfig


class DosingConfig(AppConfig):
    name = "dosing"
    verbose_name = "Dosing approvals"

    def ready(self):
        # The prescriber's approval is part of every medicine-session decision the protocol makes.
        from dosing.gate import register

        register()
