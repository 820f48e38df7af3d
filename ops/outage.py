"""When the database or Redis drops out mid-request: a 503 page with Retry-After instead of a 500, and one quiet
retry of a read.

PostgreSQL restarting (or a connection cut by pg_terminate_backend, a failover, a proxy timeout) surfaces as an
OperationalError or InterfaceError wherever the next query runs: in the session or user lookup of a middleware,
or in the view. Django turns it into the 500 handler wherever it was raised, so the handler (`server_error`, the
project's handler500) is the one place that sees them all: it answers 503 with Retry-After and marks the request.
`DatabaseOutageMiddleware`, outermost, then runs a GET or HEAD once more on fresh connections (a read is safe to
repeat); a POST is never repeated: its transaction was rolled back, the page says nothing was saved and the
user sends it again. Connections left broken by an earlier request are replaced at the start of each request
(what Django's request_started does, and CONN_HEALTH_CHECKS between requests)."""

import logging
import sys

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger("kapcouples.outage")

RETRY_AFTER_SECONDS = 5
SAFE_METHODS = ("GET", "HEAD")


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a runtime dependency
        return tuple(errors)
    return (*errors, RedisConnectionError, RedisTimeoutError)


UNAVAILABLE = _unavailable_errors()


def is_outage(error: BaseException | None) -> bool:
    """Whether an exception means a service is unreachable (not a bug in the request)."""
    return isinstance(error, UNAVAILABLE)


def connections_reset() -> None:
    """Close every connection that errored and no longer answers, so the next query opens a fresh one."""
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            continue
        try:
            connection.close_if_unusable_or_obsolete()
        except UNAVAILABLE:  # closing a dead socket can itself fail; the next query reconnects
            connection.connection = None


def outage_response(request):
    """The 503 page: a self-contained template (no context processors, no query), with Retry-After."""
    saving = request is not None and request.method not in SAFE_METHODS
    html = loader.get_template("503.html").render({"saving": saving, "retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@requires_csrf_token
def server_error(request, template_name="500.html"):
    """The project's handler500: a service outage is a 503 (and the request is marked for one retry); anything
    else is the plain 500 page, reported to the admins as before."""
    error = sys.exc_info()[1]
    if is_outage(error):
        logger.warning("Service unavailable during %s %s: %s", request.method, request.path, type(error).__name__)
        request._service_unavailable = True
        return outage_response(request)
    return HttpResponseServerError(loader.get_template(template_name).render({}))


class DatabaseOutageMiddleware:
    """Outermost: replace broken connections before the request, and run a read once more if a service dropped
    out while serving it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        connections_reset()
        response = self.get_response(request)
        if getattr(request, "_service_unavailable", False) and request.method in SAFE_METHODS:
            request._service_unavailable = False
            connections_reset()
            response = self.get_response(request)
            if response.status_code == 503 and getattr(request, "_service_unavailable", False):
                return response
        return response
