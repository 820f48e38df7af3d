"""The Celery app. Workers and beat run `celery -A kapcouples worker --beat` (make run starts one).

The broker only carries nudges: every piece of work is a database row (a reminder, a summary, an export)
that the periodic sweeps find again, so a lost or duplicated message changes nothing.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapcouples.settings")

app = Celery("kapcouples")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
