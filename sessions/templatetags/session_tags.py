"""Session panels that other apps' pages include: the course timeline and the therapist's sessions panel."""

from django import template

from cases import policy
from cases.policy import CareTeam
from sessions import selectors

register = template.Library()


@register.inclusion_tag("sessions/partials/course_timeline.html", takes_context=True)
def course_timeline(context, couple):
    """The couple's course by cycle, what comes next, and suggested sessions to accept."""
    user = context["request"].user
    therapists = context.get("therapists")  # the couple page has the care team loaded already: no query
    team = couple if therapists is None else CareTeam(couple_id=couple.pk, prescriber_id=couple.prescriber_id,
                                                      therapist_ids=frozenset(t.pk for t in therapists))
    can_manage = bool(policy.may_manage_sessions(user, team))
    return {
        "couple": couple, "course": selectors.couple_course(couple=couple),
        "can_manage": can_manage, "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("sessions/partials/sessions_panel.html", takes_context=True)
def sessions_panel(context):
    """Today's and this week's sessions, notes waiting and couples due, for the signed-in therapist."""
    return {"dashboard": selectors.therapist_dashboard(user=context["request"].user)}


@register.inclusion_tag("sessions/partials/session_badge.html")
def session_status_badge(session):
    return {"session": session}
