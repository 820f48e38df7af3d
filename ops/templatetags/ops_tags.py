"""{% task_failures_notice %}: on the clinic admin's home, how many background tasks failed this week."""

from django import template

from ops.selectors import task_failures_recent_count

register = template.Library()


@register.inclusion_tag("ops/partials/task_failures_notice.html")
def task_failures_notice(days: int = 7):
    return {"count": task_failures_recent_count(days=days), "days": days}
