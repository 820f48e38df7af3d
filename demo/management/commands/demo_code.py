from django.core.management.base import BaseCommand, CommandError

from demo.clinic import demo_code


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo prescriber or admin (demo clinic only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            self.stdout.write(demo_code(username))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
