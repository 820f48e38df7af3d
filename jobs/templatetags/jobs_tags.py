from django import template

from jobs.selectors import session_background

register = template.Library()


@register.simple_tag
def session_jobs(session) -> dict:
    """{% session_jobs session as bg %}: the session's reminders and PDF summaries."""
    return session_background(session=session)
