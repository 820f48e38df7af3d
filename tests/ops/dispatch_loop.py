"""Run by tests/ops/test_worker_killed.py in a subprocess: a reminders worker as beat drives it, reduced to its
loop. It runs the dispatch (the body of jobs.tasks.reminders_dispatch) under the worker id given, every
`interval` seconds, until it is killed. It prints a line when each dispatch starts, for the test's log."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapcouples.settings")

import django  # noqa: E402

django.setup()

from jobs.reminders import reminders_dispatch_due  # noqa: E402

worker, interval = sys.argv[1], float(sys.argv[2])
while True:
    print(f"{time.monotonic():.2f} dispatch by {worker}", flush=True)
    result = reminders_dispatch_due(worker=worker)
    print(f"{time.monotonic():.2f} sent {result.sent}, failed {result.failed}, other {result.other}", flush=True)
    time.sleep(interval)
