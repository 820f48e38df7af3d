"""Request ids and one log line per request; health endpoints answered before anything that needs a session."""

import logging
import re
import time
import uuid

from ops.logging import request_id_var

logger = logging.getLogger("kapcouples.request")

# What a proxy may send as X-Request-ID (nginx's $request_id is 32 hex digits); anything else is replaced, so a
# client cannot write into the logs.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
HEALTH_PATHS = {"/healthz", "/healthz/", "/readyz", "/readyz/"}


class RequestIdMiddleware:
    """Take the proxy's X-Request-ID (if well-formed) or make one; put it on the response and on every log
    record written while serving the request, and log the request: method, path without its query string,
    status, duration and the user's id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = supplied if VALID_REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            self._log(request, response, started)
            return response
        finally:
            request_id_var.reset(token)

    def _log(self, request, response, started):
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        user = getattr(request, "user", None)  # absent for static files and health checks
        user_id = user.pk if user is not None and user.is_authenticated else None
        # request.path never includes the query string, where searches by a partner's name would be.
        level = logging.DEBUG if request.path in HEALTH_PATHS else logging.INFO
        logger.log(
            level,
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user_id,
            },
        )


class HealthCheckMiddleware:
    """Answer /healthz and /readyz here, before the HTTPS redirect, the host check, sessions and sign-in, so a
    load balancer or monitor can ask any web process directly (by its address, over plain HTTP) without a
    session being made. The answers hold only booleans and timings."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in HEALTH_PATHS:
            from ops import views

            view = views.healthz if request.path_info.startswith("/healthz") else views.readyz
            return view(request)
        return self.get_response(request)
