"""Notices on a clinician's home page: written by the dosing verbs, dismissed by the reader."""

from cases.models import Couple
from dosing.models import Notice


def notice_send(*, recipients, couple: Couple, text: str) -> None:
    """Write one notice about the couple to each recipient (None entries are skipped)."""
    Notice.objects.bulk_create([Notice(recipient=r, couple=couple, text=text) for r in recipients if r is not None])
