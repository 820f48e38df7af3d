"""Keep PHI out of logs and error reports: what a user typed or searched for never leaves the database."""

import logging
import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

REDACTED = "********************"
_QUERY = re.compile(r"\?[^\s\"']*")


class DropQueryStringsFilter(logging.Filter):
    """Cut query strings from log lines (runserver's request lines, error messages with URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = _QUERY.sub("?[query removed]", record.msg)
        if isinstance(record.args, dict):
            # logger.info("%(name)s ...", {"name": ...}) - Celery logs this way - must stay a mapping.
            record.args = {k: _scrub(v) for k, v in record.args.items()}
        elif record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_scrub(a) for a in args)
        return True


def _scrub(value):
    return _QUERY.sub("?[query removed]", value) if isinstance(value, str) else value


# The request headers an error report keeps: enough to tell which page and which process, nothing that names a
# person (cookies, the address, the referring URL with its search, forwarded-for chains are all hidden).
SAFE_META = frozenset(
    {
        "REQUEST_METHOD",
        "PATH_INFO",
        "SCRIPT_NAME",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "HTTP_HOST",
        "HTTP_ACCEPT",
        "HTTP_X_REQUEST_ID",
        "HTTP_USER_AGENT",
        "wsgi.url_scheme",
    }
)


class PHISafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide every POST value, cookie, traceback variable and request header but a few technical ones, in
    production and in DEBUG alike."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|QUERY_STRING|REQUEST_URI|DATABASE_URL", flags=re.I
    )

    def is_active(self, request):
        return True

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return dict.fromkeys(request.POST, REDACTED)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, REDACTED) for name in tb_frame.f_locals]

    def get_safe_cookies(self, request):
        return dict.fromkeys(getattr(request, "COOKIES", {}), REDACTED)

    def get_safe_request_meta(self, request):
        meta = getattr(request, "META", {})
        return {key: (meta[key] if key in SAFE_META else REDACTED) for key in meta}


class PHISafeExceptionReporter(ExceptionReporter):
    """Django's report, without query values, uploaded file names, the full URL, the exception's message (it
    may quote a record: an IntegrityError names the values) or the user's name (their id stays)."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None:
            data["request_GET_items"] = [(key, REDACTED) for key in self.request.GET]
            data["request_FILES_items"] = [(key, REDACTED) for key in self.request.FILES]
            data["request_insecure_uri"] = self.request.path
            user = getattr(self.request, "user", None)
            if user is not None:
                data["user_str"] = f"user id {user.pk}" if user.is_authenticated else "anonymous"
        if "exception_value" in data:
            data["exception_value"] = f"{REDACTED} (message hidden: it may quote a record)"
        data.pop("exception_notes", None)
        for frame in data.get("frames", []):
            if frame.get("exc_cause") is not None:  # a chained exception: its kind, not its message
                frame["exc_cause"] = type(frame["exc_cause"]).__name__
        return data
