"""Beat sends a heartbeat to every queue; the worker that takes it writes the time, and /readyz reads it."""

import os
import socket

from celery import shared_task

from ops import services


@shared_task(bind=True, name="ops.tasks.heartbeat", ignore_result=True)
def heartbeat(self, queue: str) -> None:
    """Record that a worker consuming `queue` is alive (the queue the message really came from, if known)."""
    delivered_on = (self.request.delivery_info or {}).get("routing_key") or queue
    services.heartbeat_record(queue=delivered_on, worker=f"{socket.gethostname()}:{os.getpid()}")
