"""Session markup shared by the calendar, the course timeline and the home pages. Tags here only format what the
page's selector loaded: none of them reads the database."""

from django import template
from django.utils.html import format_html

register = template.Library()

_BADGE_CLASS = {"completed": "text-bg-success", "scheduled": "text-bg-primary", "cancelled": "text-bg-secondary"}


@register.simple_tag
def session_status_badge(session) -> str:
    """The session's status as a coloured badge (a tag rather than an include: it is drawn once per row)."""
    return format_html(
        '<span class="badge {}">{}</span>',
        _BADGE_CLASS.get(session.status, "text-bg-warning"),
        session.get_status_display(),
    )
