"""Badges for a couple's status and a partner's screening outcome. Tags rather than includes: they are drawn once
per row of long lists, and they only format what the page's selector loaded (no query)."""

from django import template
from django.utils.html import format_html

register = template.Library()

_STATUS_CLASS = {
    "active": "text-bg-success",
    "screening": "text-bg-info",
    "referred": "text-bg-secondary",
    "completed": "text-bg-primary",
}
_OUTCOME_CLASS = {"cleared": "text-bg-success", "review": "text-bg-warning", "not_eligible": "text-bg-danger"}


@register.simple_tag
def couple_status_badge(couple) -> str:
    """The couple's status as a coloured pill."""
    return format_html(
        '<span class="badge rounded-pill {}">{}</span>',
        _STATUS_CLASS.get(couple.status, "text-bg-dark"),
        couple.get_status_display(),
    )


@register.simple_tag
def screening_badge(screening) -> str:
    """A partner's screening outcome as a coloured badge."""
    return format_html(
        '<span class="badge {}">{}</span>',
        _OUTCOME_CLASS.get(screening.outcome, "text-bg-light border"),
        screening.get_outcome_display(),
    )
