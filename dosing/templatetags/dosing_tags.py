"""Dosing panels for the home pages."""

from django import template

from dosing import selectors

register = template.Library()


@register.inclusion_tag("dosing/partials/prescriber_panel.html", takes_context=True)
def prescriber_dosing_panel(context):
    """Requests to answer, this week's medicine sessions, flagged vitals and approvals ending soon."""
    return {"panel": selectors.prescriber_panel(user=context["request"].user), "request": context["request"]}


@register.inclusion_tag("dosing/partials/notices.html", takes_context=True)
def dosing_notices(context):
    """Notices the user has not dismissed yet (e.g. an approval was revoked and which sessions it blocks)."""
    request = context["request"]
    return {"notices": selectors.notices_for(user=request.user), "request": request,
            "csrf_token": context.get("csrf_token")}
