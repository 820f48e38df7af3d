"""Structured logs: one JSON object a line, with the request (or task) it belongs to and never PHI.

A record carries only what the code logging it chose to say, plus the request id, method, path (without its
query string), status, duration and the user's id (never a name) that the request middleware adds. Tracebacks
keep their frames but not the exception's message, which may quote what a user typed.
"""

import contextvars
import datetime
import json
import logging
import traceback
from collections.abc import Mapping

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# (task name, task id) of the Celery task running in this worker process, if any.
task_var: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("task", default=None)

# Extra attributes a log call may set (logger.info(..., extra={...})) that the JSON line keeps.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "user_id", "task_name", "task_id", "queue")


class RequestIdFilter(logging.Filter):
    """Stamp every record with the request id of the request being served (in a worker: of the request that
    queued the task) and with the running task's name and id, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        task = task_var.get()
        if task is not None and not getattr(record, "task_id", None):
            record.task_name, record.task_id = task
        return True


class TaskErrorsFilter(logging.Filter):
    """Celery logs a failed task with the exception's text, which may quote a record: keep only its class."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            record.name.startswith("celery")
            and isinstance(args, Mapping)
            and isinstance(args.get("exc"), BaseException)
        ):
            record.args = {**args, "exc": type(args["exc"]).__name__}
        return True


class JSONFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message, request id and the allowed extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            entry["exception"] = f"{exc_type.__module__}.{exc_type.__qualname__}"
            entry["traceback"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(tb)
            ]
        return json.dumps(entry, default=str, ensure_ascii=False)
