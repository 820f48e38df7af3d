"""Gunicorn's settings for KAP Couples (the Procfile, systemd unit and container use this file).

Override any of them without editing this file through GUNICORN_CMD_ARGS, e.g.
GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000 --workers 4" (the container does), or WEB_CONCURRENCY for the workers.
"""

import multiprocessing
import os

# Behind nginx on the same host; a container publishes 0.0.0.0:8000 through GUNICORN_CMD_ARGS.
bind = "127.0.0.1:8000"
# WEB_CONCURRENCY is gunicorn's own variable; by default two processes per CPU, at most eight.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count(), 8))
threads = 1
timeout = 60  # a request that takes longer is a bug; PDFs and exports are built by the workers
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle processes now and then, so a slow leak never grows
max_requests_jitter = 200
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The app logs every request itself (JSON, with the request id and without the query string, where a search
# for a partner's name would be), so gunicorn's access log stays off. Errors go to stderr.
accesslog = None
errorlog = "-"
# Only the proxy on this host may say a request came over HTTPS (Django reads X-Forwarded-Proto itself).
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = "kapcouples"


def post_worker_init(worker):
    """Freeze what the worker built while loading the app (Django, the URLconf, templates) out of the garbage
    collector's reach: full collections then scan only what requests create. At 10,000 couples this took the
    prescriber home's p95 from 135 to 88 ms (docs/benchmarks.md)."""
    import gc

    gc.freeze()
