"""/healthz and /readyz: no sign-in, no session, no PHI; booleans and timings only.

Both are answered by ops.middleware.HealthCheckMiddleware before the rest of the stack; the URL patterns exist
so they can be reversed and are seen by the tests that walk every URL (they are declared public there).
"""

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from ops import selectors


def _answer(payload: dict, status: int) -> JsonResponse:
    response = JsonResponse(payload, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def healthz(request):
    """The process is up and answering."""
    return _answer({"status": "ok"}, 200)


@require_safe
def readyz(request):
    """The process can do its work: 200 when every check passes, 503 naming the checks that fail."""
    checks = selectors.readiness()
    ready = all(check["ok"] for check in checks.values())
    return _answer({"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503)


healthz.public = True
readyz.public = True
