"""Notices on a clinician's home page: written by the dosing verbs, dismissed by the reader."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.models import Couple
from dosing.models import Notice


def notice_send(*, recipients, couple: Couple, text: str) -> None:
    """Write one notice about the couple to each recipient (None entries are skipped), inside the caller's
    transaction; each is saved on its own so that its audit row is written with it (a bulk insert sends no
    signal, and notices went unaudited)."""
    for recipient in recipients:
        if recipient is not None:
            Notice.objects.create(recipient=recipient, couple=couple, text=text)


def notice_dismiss_for(*, by: User, notice: Notice) -> Notice:
    """The reader dismisses their own notice; the change and its audit row in one transaction, once."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk, recipient=by)
        if notice.dismissed_at is None:
            notice.dismissed_at = timezone.now()
            notice.save(update_fields=["dismissed_at"])
    return notice
