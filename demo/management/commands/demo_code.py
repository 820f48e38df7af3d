from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

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
        except DatabaseError:
            # The database named by KAPCOUPLES_VAR_DIR / DATABASE_URL has no demo clinic (not migrated or another
            # folder): say which one, instead of a traceback.
            name = settings.DATABASES["default"]["NAME"]
            raise CommandError(
                f"The demo clinic is not set up in {name}. Run `make run` first, with the same "
                "KAPCOUPLES_VAR_DIR (or DATABASE_URL) as this command."
            ) from None
