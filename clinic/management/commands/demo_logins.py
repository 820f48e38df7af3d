from django.core.management.base import BaseCommand

from clinic.demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo clinic's logins."

    def handle(self, *args, **options):
        self.stdout.write("\nKAP Couples demo clinic: http://127.0.0.1:8000/")
        self.stdout.write(f"Every demo user's password is: {DEMO_PASSWORD}")
        for username, first, last, credentials, roles in DEMO_USERS:
            role = ", ".join(r.removeprefix("is_").replace("_", " ") for r in roles)
            self.stdout.write(f"  {username:<8} {first} {last}{', ' + credentials if credentials else ''} ({role})")
        self.stdout.write("Prescribers and admins also enter a two-factor code. For the demo, get the current one with:")
        self.stdout.write("  make demo-code who=sam      (or who=lee)")
        self.stdout.write("")
