"""Record reads of and refusals on couple-scoped pages, whichever app's view served them.

A view is couple-scoped when its URL names a couple, directly (couple_uuid) or through a record
that belongs to one (COUPLE_URL_KWARGS). The couple is found by a subquery inside the audit INSERT after
the view ran, so the page's own queries are untouched and a page costs exactly one more query.
"""

import contextvars

from django.apps import apps
from django.db.models import Subquery

from audit.choices import AuditAction
from audit.services import audit_record

_current_request: contextvars.ContextVar = contextvars.ContextVar("audit_current_request", default=None)

# URL keyword -> (model, field the URL carries, field holding the couple's id on that model).
COUPLE_URL_KWARGS = {
    "couple_uuid": ("cases.Couple", "uuid", "id"),
    "session_uuid": ("clinical_sessions.TherapySession", "uuid", "couple_id"),
}
READ_METHODS = ("GET", "HEAD")


def current_request():
    """The request being served by this thread or task, for signal receivers that need the actor."""
    return _current_request.get()


def _couple_scope(kwargs: dict) -> tuple[object, str, str, str] | None:
    """(value from the URL, model label, its lookup field, its couple field) for a couple-scoped view."""
    for name, (label, field, couple_field) in COUPLE_URL_KWARGS.items():
        if name in kwargs:
            return kwargs[name], label, field, couple_field
    return None


def _couple_id_subquery(scope) -> Subquery | None:
    """The couple's id as a subquery of the audit INSERT itself: no query of its own."""
    value, label, field, couple_field = scope
    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    return Subquery(model._base_manager.filter(**{field: value}).order_by().values(couple_field)[:1])


def _is_download(response) -> bool:
    content_type = response.get("Content-Type", "")
    return "attachment" in response.get("Content-Disposition", "") or not content_type.startswith("text/html")


class AuditMiddleware:
    """Keeps the current request for signal receivers and records couple-page reads and refusals."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(token)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        scope = getattr(request, "_audit_couple_scope", None)
        status = response.status_code
        if scope is not None and status == 200 and request.method in READ_METHODS:
            action = AuditAction.DOWNLOAD if _is_download(response) else AuditAction.READ
            self._record(request, scope, action, f"{request.resolver_match.view_name} viewed")
        elif status == 403 or (status == 404 and scope is not None):
            view = request.resolver_match.view_name if request.resolver_match else "unknown view"
            self._record(request, scope, AuditAction.PERMISSION_DENIED, f"{view} refused ({status})")
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._audit_couple_scope = _couple_scope(view_kwargs)

    def _record(self, request, scope, action, summary):
        couple_id = _couple_id_subquery(scope) if scope is not None else None
        object_type = object_id = ""
        if scope is not None:
            object_type, object_id = scope[1].lower(), str(scope[0])
        audit_record(
            action=action,
            request=request,
            couple_id=couple_id,
            summary=summary,
            object_type=object_type,
            object_id=object_id,
        )
