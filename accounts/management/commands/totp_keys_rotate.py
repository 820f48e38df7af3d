"""manage.py totp_keys_rotate: re-encrypt TOTP secrets under the newest key, after adding it to TOTP_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand

from accounts.services import totp_secrets_rotate


class Command(BaseCommand):
    help = "Re-encrypt every TOTP secret with the first key of TOTP_ENCRYPTION_KEYS; then older keys can go."

    def handle(self, *args, **options):
        count = totp_secrets_rotate()
        self.stdout.write(f"{count} TOTP secret(s) now encrypted with the first key; older keys may be removed.")
