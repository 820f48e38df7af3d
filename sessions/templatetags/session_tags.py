"""Session markup shared by the calendar, the course timeline and the home pages. Tags here only format what the
page's selector loaded: none of them reads the database."""

from django import template
from django.utils.html import format_html

from sessions.choices import MedicineState

register = template.Library()

_BADGE_CLASS = {"completed": "text-bg-success", "scheduled": "text-bg-primary", "cancelled": "text-bg-secondary"}


@register.simple_tag
def session_status_badge(session) -> str:
    """The session's status as a coloured badge (a tag rather than an include: it is drawn once per row). A medicine
    session the gate shut reads "Blocked", its state (dosing.lifecycle), not "Scheduled"."""
    if session.medicine_state == MedicineState.BLOCKED:
        return format_html('<span class="badge text-bg-danger">{}</span>', MedicineState.BLOCKED.label)
    return format_html(
        '<span class="badge {}">{}</span>',
        _BADGE_CLASS.get(session.status, "text-bg-warning"),
        session.get_status_display(),
    )


@register.filter
def lookup(mapping, key):
    """mapping[key], or None: how a row finds its entry in the page data's dict (pages.medicine notes by id)."""
    return mapping.get(key) if mapping else None
