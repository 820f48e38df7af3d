"""Celery signal receivers: task failures become rows for the admins; a task's log lines carry its id, and the
request id of the web request that queued it."""

import logging
import socket

from celery.signals import before_task_publish, task_failure, task_postrun, task_prerun

from ops.logging import request_id_var, task_var

logger = logging.getLogger("ops")
REQUEST_ID_HEADER = "kapcouples_request_id"


@before_task_publish.connect
def _carry_request_id(sender=None, headers=None, **extra):
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers[REQUEST_ID_HEADER] = request_id


@task_prerun.connect
def _task_started(sender=None, task_id=None, task=None, **extra):
    request = getattr(task, "request", None)
    task_var.set((getattr(task, "name", None), task_id))
    request_id_var.set(getattr(request, REQUEST_ID_HEADER, None) if request is not None else None)


@task_postrun.connect
def _task_ended(**extra):
    task_var.set(None)
    request_id_var.set(None)


@task_failure.connect
def _task_failed(sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **extra):
    from ops.services import task_failure_record

    try:
        task_failure_record(
            task_name=getattr(sender, "name", None) or str(sender),
            task_id=task_id,
            exception=exception,
            args=args,
            kwargs=kwargs,
            tb=getattr(einfo, "tb", None),
            worker=socket.gethostname(),
        )
    except Exception:  # noqa: BLE001 - the database may be what failed; the log line below still tells
        logger.exception("Could not record the failure of task %s", task_id)
