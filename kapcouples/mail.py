"""Whether e-mail reaches anyone here: Django's console, file, in-memory and dummy backends keep a message on this
machine instead of handing it to a mail service, so what they "send" is shown as logged, not sent."""

from django.conf import settings
from django.utils.module_loading import import_string

# A backend class may also say so itself with logs_only (True or False).
LOGGING_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)


def email_logs_only() -> bool:
    """True while e-mails are only logged (console, file, memory), never handed to a mail service."""
    backend = import_string(settings.EMAIL_BACKEND)
    declared = getattr(backend, "logs_only", None)
    if declared is not None:
        return bool(declared)
    return f"{backend.__module__}.{backend.__qualname__}" in LOGGING_EMAIL_BACKENDS
