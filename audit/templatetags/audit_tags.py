from django import template

from audit.selectors import couple_audit_history

register = template.Library()


@register.inclusion_tag("audit/partials/couple_audit.html", takes_context=True)
def couple_audit(context, couple, limit: int = 20):
    """The couple's own audit history (who read or changed it, when). One query."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "couple": couple,
        "events": couple_audit_history(couple=couple, limit=limit),
        "limit": limit,
        "can_search": bool(user and user.is_authenticated and user.is_clinic_admin),
    }
