"""Integration panels that other apps' pages include: the session page's panel and the couple page's section."""

from django import template

from integration import selectors
from integration.forms import CommitmentForm
from cases import policy

register = template.Library()


@register.inclusion_tag("integration/partials/session_panel.html", takes_context=True)
def session_integration(context, session):
    """Commitments to make and review, intentions carried into a new cycle, and the questionnaires due."""
    user = context["request"].user
    panel = selectors.session_panel(session=session)
    return {
        "panel": panel, "session": session, "couple": session.couple, "csrf_token": context.get("csrf_token"),
        "can_manage": bool(policy.may_manage_sessions(user, session.couple)),
        "commitment_form": CommitmentForm(partners=panel.partners) if session.phase == "integration" else None,
    }


@register.inclusion_tag("integration/partials/couple_section.html", takes_context=True)
def couple_integration(context, couple):
    """Both partners' scores over time per instrument, open commitments and the follow-up plan."""
    user = context["request"].user
    return {"couple": couple, "may_see_clinic_outcomes": bool(policy.may_administer_clinic(user)),
            **selectors.couple_section(couple=couple)}


@register.filter
def signed(value):
    """A number with its sign: +3, -5, 0."""
    if value is None:
        return ""
    return f"+{value:g}" if value > 0 else f"{value:g}"
