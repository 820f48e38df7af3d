"""Formatting for the outcomes tables. Nothing here reads the database: the page's selector loads the data."""

from django import template

register = template.Library()


@register.filter
def signed(value):
    """A number with its sign: +3, -5, 0."""
    if value is None:
        return ""
    return f"+{value:g}" if value > 0 else f"{value:g}"
