"""Settings for the benchmark only: the project's settings, plus a bare view to measure the framework's ceiling.

bench/run.py sets DATABASE_URL (a throwaway kapcouples_bench database), REDIS_URL (its own Redis database),
KAPCOUPLES_VAR_DIR, DEBUG=0 and LOG_LEVEL=WARNING before Django starts.
"""

from kapcouples.settings import *  # noqa: F403
from kapcouples.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]  # testserver: Django's test client, in-process timings
# Reminders are "sent" into memory: the benchmark times the worker's own work, not a mail server's.
# In memory, declared as a mail service (tests/mail_backend.py): Django's own locmem would be "logged, not sent".
EMAIL_BACKEND = "tests.mail_backend.MailServiceStandIn"
SMS_BACKEND = "jobs.sms.LocMemSMSBackend"
