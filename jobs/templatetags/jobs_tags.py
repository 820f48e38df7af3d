from django import template

from jobs.selectors import session_background, sms_setup

register = template.Library()


@register.simple_tag
def session_jobs(session) -> dict:
    """{% session_jobs session as bg %}: the session's reminders and PDF summaries."""
    return session_background(session=session)


@register.simple_tag
def sms_setup_status() -> dict:
    """{% sms_setup_status as sms %}: whether text reminders reach phones, and what is wrong if not."""
    return sms_setup()
