from django.core.management.base import BaseCommand

from demo.clinic import load_demo_clinic


class Command(BaseCommand):
    help = "Load the demo clinic (users and about 20 couples). Safe to run again: it only adds what is missing."

    def handle(self, *args, **options):
        _, added = load_demo_clinic()
        self.stdout.write(f"Demo clinic ready ({added} couple{'s' if added != 1 else ''} added).")
