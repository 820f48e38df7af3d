"""Secrets kept encrypted at rest: the TOTP shared secrets, with Fernet keys from the environment.

TOTP_ENCRYPTION_KEYS lists Fernet keys, newest first (MultiFernet): a secret is encrypted with the first and
decrypted with any. To rotate, put a new key first, keep the old ones after it, and run
`manage.py totp_keys_rotate`; once it reports done, the old keys can be removed (README, "Encryption keys").
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts (a key was removed too early)."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.TOTP_ENCRYPTION_KEYS])


def secret_encrypt(plain: str) -> str:
    """The Fernet token of plain under the current (first) key."""
    return _fernet().encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The plain text of a token made under any configured key."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("No configured TOTP_ENCRYPTION_KEYS key decrypts this secret.") from None


def secret_rotate(token: str) -> str:
    """The same secret re-encrypted under the current key."""
    return _fernet().rotate(token.encode()).decode()


class EncryptedSecretField(models.TextField):
    """A short secret stored as a Fernet token; Python code only ever sees the plain text."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else secret_decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else secret_encrypt(value)
