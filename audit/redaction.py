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


class PHISafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide every POST value and every traceback variable, in production and in DEBUG alike."""

    hidden_settings = re.compile("API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|QUERY_STRING|REQUEST_URI|DATABASE_URL",
                                 flags=re.I)

    def is_active(self, request):
        return True

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return {key: REDACTED for key in request.POST}

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, REDACTED) for name in tb_frame.f_locals]


class PHISafeExceptionReporter(ExceptionReporter):
    """Django's report, without query values, uploaded file names or the full URL."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None:
            data["request_GET_items"] = [(key, REDACTED) for key in self.request.GET]
            data["request_FILES_items"] = [(key, REDACTED) for key in self.request.FILES]
            data["request_insecure_uri"] = self.request.path
        return data
