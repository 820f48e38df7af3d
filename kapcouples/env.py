"""Strict readers of the environment: a bad value stops the process with a message, never a guess."""

import os
from email.utils import parseaddr

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum or maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} is outside {minimum}..{maximum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name}={value!r} has an empty item; separate values with single commas.")
    return items


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value


def check_secret_key(key: str) -> str:
    """Refuse keys that are short, repetitive or Django's generated placeholder."""
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "SECRET_KEY must be at least 50 random characters in production. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    return key


def check_fernet_keys(name: str, keys: list[str]) -> list[str]:
    """Refuse anything that is not a Fernet key (32 bytes, url-safe base64)."""
    import base64
    import binascii

    for key in keys:
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"{name} holds a value that is not a Fernet key. Generate one with: "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
    return keys


def env_time_zone(name: str) -> str | None:
    """An IANA time zone name (e.g. America/New_York), or None when unset; an unknown name fails loudly."""
    import zoneinfo

    value = env_str(name)
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a time zone name such as America/New_York.") from None
    return value


def machine_time_zone() -> str:
    """The machine's own time zone name (for running locally), UTC when it cannot be told."""
    import tzlocal

    try:
        return tzlocal.get_localzone_name() or "UTC"
    except Exception:  # noqa: BLE001 - tzlocal raises several kinds when /etc/localtime is odd; UTC is safe locally
        return "UTC"


def env_addresses(name: str) -> list[tuple[str, str]]:
    """Comma-separated e-mail addresses, each `addr@host` or `Name <addr@host>`, as Django's (name, address)."""
    addresses = []
    for item in env_list(name, []):
        display, address = parseaddr(item)
        try:
            validate_email(address)
        except ValidationError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an e-mail address (addr@host or Name <addr@host>)."
            ) from None
        addresses.append((display or address, address))
    return addresses
