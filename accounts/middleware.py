"""Session security for signed-in users: idle and absolute time limits, the two-factor gate, and
responses that no browser or proxy may keep."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from accounts import session_state

BACKGROUND_POLL_HEADER = "HTTP_X_BACKGROUND_POLL"
# Writing the timestamp at most once a minute keeps most requests free of a session write.
ACTIVITY_RESOLUTION_SECONDS = 60
STATUS_VIEW = "accounts:session_status"


def is_background(request) -> bool:
    """Polling by a page (or the status endpoint) is not the user's activity."""
    return request.META.get(BACKGROUND_POLL_HEADER) == "1" or request.path == reverse(STATUS_VIEW)


class SessionTimeoutMiddleware:
    """Sign out after the clinic's idle limit without activity and SESSION_ABSOLUTE_LIMIT_HOURS after
    sign-in, whichever comes first; the request then goes on as anonymous (login_required redirects)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request):
        session = request.session
        now = int(time.time())
        auth_at = session.get(session_state.AUTH_AT)
        last_active = session.get(session_state.LAST_ACTIVE)
        if auth_at is None or last_active is None:
            # A session from before these limits: start counting now.
            session[session_state.AUTH_AT] = session.get(session_state.AUTH_AT, now)
            session[session_state.LAST_ACTIVE] = now
            return
        if now - auth_at >= settings.SESSION_ABSOLUTE_LIMIT_HOURS * 3600:
            self._end(
                request,
                f"signed out: {settings.SESSION_ABSOLUTE_LIMIT_HOURS}-hour limit",
                f"You were signed out {settings.SESSION_ABSOLUTE_LIMIT_HOURS} hours after signing in. "
                "Please sign in again.",
            )
        elif now - last_active >= session_state.idle_limit(session):
            self._end(
                request,
                "signed out: idle",
                f"You were signed out after {session_state.idle_limit(session) // 60} minutes without activity.",
            )
        elif not is_background(request) and now - last_active >= ACTIVITY_RESOLUTION_SECONDS:
            session[session_state.LAST_ACTIVE] = now

    def _end(self, request, reason: str, message: str):
        request._logout_reason = reason
        logout(request)
        if not is_background(request):
            messages.info(request, message)


class TwoFactorRequiredMiddleware:
    """Until two-factor is done, a signed-in user reaches only the two-factor pages and sign-out."""

    EXEMPT_VIEWS = {
        "accounts:two_factor_enrol",
        "accounts:two_factor_verify",
        "accounts:logout",
        "accounts:session_status",
        "accounts:session_keep_alive",
        "admin:logout",
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        state = request.session.get(session_state.TWO_FACTOR)
        if state is None:
            state = request.session[session_state.TWO_FACTOR] = session_state.two_factor_state_for(user)
        if state == session_state.VERIFIED or request.resolver_match.view_name in self.EXEMPT_VIEWS:
            return None
        if is_background(request):
            return JsonResponse({"two_factor": state}, status=401)
        target = "accounts:two_factor_enrol" if state == session_state.ENROL else "accounts:two_factor_verify"
        next_url = request.get_full_path() if request.method == "GET" else ""
        url = reverse(target)
        return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)


class NoStoreForSignedInMiddleware:
    """Pages and downloads shown to a signed-in user hold PHI: no browser or proxy cache may keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and (user.is_authenticated or getattr(request, "_logout_reason", None)):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response
