from django import template

from cases.phones import phone_display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """{{ partner.phone|phone }}: a stored E.164 number as the clinic writes it."""
    return phone_display(value)
