"""The first clinic admin of a new clinic (README, "The first admin")."""

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import clinic_admin_create


class Command(BaseCommand):
    help = (
        "Create a clinic admin who can manage users, rooms, care teams, settings and exports in the product. "
        "The password is asked for, or read from KAPCOUPLES_ADMIN_PASSWORD when there is no terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, username, email, first_name, last_name, **options):
        password = os.environ.get("KAPCOUPLES_ADMIN_PASSWORD")
        if password is None:
            if not os.isatty(0):
                raise CommandError("No terminal to ask for the password: set KAPCOUPLES_ADMIN_PASSWORD.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ; nothing was created.")
        try:
            user = clinic_admin_create(
                username=username, email=email, password=password, first_name=first_name, last_name=last_name
            )
        except ValidationError as exc:
            lines = [f"{field}: {message}" for field, messages in exc.message_dict.items() for message in messages]
            raise CommandError("Nothing was created.\n" + "\n".join(lines)) from None
        self.stdout.write(
            f"Clinic admin {user.username} created. Sign in at /accounts/login/; the product asks for "
            "an authenticator app (second factor) at the first sign-in."
        )
