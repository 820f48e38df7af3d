"""The test suite's stand-in for a real mail service: Django's in-memory backend (mail.outbox), declared as
delivering, so reminders and notices in tests are "sent". Tests of the logging backends set EMAIL_BACKEND to
Django's own locmem, console or file backend, which the product reports as "logged, not sent"."""

from django.core.mail.backends import locmem


class MailServiceStandIn(locmem.EmailBackend):
    logs_only = False
