"""{% verification_status %}: on the clinic admin's home, the last verify_records result."""

from django import template

from records.verify import verification_latest

register = template.Library()


@register.inclusion_tag("records/partials/verification_status.html")
def verification_status():
    return {"run": verification_latest()}
