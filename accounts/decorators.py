"""Role checks for views. A missing role is a 403: the page exists, the user may not use it."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def role_required(*attributes: str):
    """Allow the view to users holding any of the named roles (is_therapist, is_prescriber, is_clinic_admin)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not any(getattr(request.user, attribute) for attribute in attributes):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def forbid_unless(verdict) -> None:
    """A page the user may see but not use is a 403 that says why (a cases.policy Verdict); the service called
    afterwards decides again, so this only spares the user a form they cannot send."""
    if not verdict:
        raise PermissionDenied(verdict.reason)
