"""manage.py db_roles_apply ROLE: grant the runtime role exactly what the app needs (run as the schema's owner)."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from records.roles import db_roles_apply


class Command(BaseCommand):
    help = (
        "Create or update the runtime database role: rows only (no ALTER, DROP, TRUNCATE), and no UPDATE or "
        "DELETE on the insert-only tables. Run as the migration role after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the runtime role's name, e.g. kapcouples_app")
        parser.add_argument(
            "--password-env",
            default="",
            help="the environment variable holding the role's password (never on the command line)",
        )

    def handle(self, *args, role, password_env, **options):
        password = os.environ.get(password_env) if password_env else None
        if password_env and not password:
            raise CommandError(f"{password_env} is not set.")
        try:
            statements = db_roles_apply(connection=connection, runtime_role=role, password=password)
        except (NotImplementedError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Runtime role {role}: {len(statements)} grants applied.")
