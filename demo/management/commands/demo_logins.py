from django.core.management.base import BaseCommand

from demo.clinic import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo clinic's logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="Where the clinic is served.")

    def handle(self, *args, url, **options):
        self.stdout.write(f"\nKAP Couples demo clinic: {url}")
        self.stdout.write(f"Every demo user's password is: {DEMO_PASSWORD}")
        for username, first, last, credentials, roles in DEMO_USERS:
            role = ", ".join(r.removeprefix("is_").replace("_", " ") for r in roles)
            self.stdout.write(f"  {username:<8} {first} {last}{', ' + credentials if credentials else ''} ({role})")
        self.stdout.write(
            "Prescribers and admins also enter a two-factor code. For the demo, get the current one with:"
        )
        self.stdout.write("  make demo-code who=sam      (or who=lee)")
        self.stdout.write("")
