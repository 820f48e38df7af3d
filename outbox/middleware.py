"""Tells the user when the work their change asked for could not be handed to the broker."""

from django.contrib import messages

from outbox.services import deferred_in_request, deferred_reset

DEFERRED_MESSAGE = (
    "Saved. The background queue is unreachable just now, so the reminders, PDF summaries, exports "
    "or e-mails this change asked for will follow once it is back; nothing is lost."
)


class DeferredWorkNotice:
    """After a write whose outbox message the broker did not take, a warning beside the usual confirmation."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = deferred_reset()
        try:
            response = self.get_response(request)
            if deferred_in_request() and hasattr(request, "_messages"):
                messages.warning(request, DEFERRED_MESSAGE)
            return response
        finally:
            deferred_reset(token)
