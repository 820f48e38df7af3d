"""Production settings of the operations side: the deploy check, shared file storage, queues and routes."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "KAPCOUPLES_ENV": "production",
    "SECRET_KEY": "k3Y-" + "abcdefghij" * 6,
    "DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
    "ALLOWED_HOSTS": "kap.clinic.example",
    "EMAIL_HOST": "smtp.clinic.example",
    "TOTP_ENCRYPTION_KEYS": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG=",
    "CLINIC_TIME_ZONE": "America/New_York",
    "ADMINS": "Clinic IT <it@clinic.example>",
}
SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "SECRET_KEY",
    "TOTP_ENCRYPTION_KEYS",
    "DEBUG",
    "ALLOWED_HOSTS",
    "EMAIL_HOST",
    "KAPCOUPLES_ENV",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "LOG_FORMAT",
    "SMS_BACKEND",
    "SMS_REMINDERS",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM",
    "SITE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "CLINIC_TIME_ZONE",
    "ADMINS",
    "SENTRY_DSN",
}


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "DJANGO_SETTINGS_MODULE": "kapcouples.settings", **env},
    )


def python(code: str, env: dict) -> subprocess.CompletedProcess:
    return run(["-c", f"import django; django.setup(); {code}"], env)


TWILIO = {
    "SMS_BACKEND": "jobs.sms_twilio.TwilioSMSBackend",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM": "+15005550006",
}


def test_the_default_production_configuration_passes_the_deploy_check(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION, **TWILIO, "KAPCOUPLES_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_a_clinic_time_zone_fails_the_deploy_check_saying_so(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "CLINIC_TIME_ZONE"}
    result = run(["manage.py", "check", "--deploy"], {**env, "KAPCOUPLES_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "clinic.E001" in result.stderr and "CLINIC_TIME_ZONE is not set" in result.stderr


def test_an_unknown_clinic_time_zone_stops_the_process():
    result = python("", {**PRODUCTION, "CLINIC_TIME_ZONE": "Mars/Olympus_Mons"})
    assert "is not a time zone name such as America/New_York" in result.stderr


def test_locally_the_clinic_time_zone_defaults_to_the_machines(tmp_path):
    import tzlocal

    result = python(
        "from django.conf import settings; print(settings.TIME_ZONE)",
        {"KAPCOUPLES_ENV": "local", "KAPCOUPLES_VAR_DIR": str(tmp_path)},
    )
    assert result.stdout.strip().splitlines()[-1] == (tzlocal.get_localzone_name() or "UTC"), result.stderr
    result = python(
        "from django.conf import settings; print(settings.TIME_ZONE)",
        {"KAPCOUPLES_ENV": "local", "KAPCOUPLES_VAR_DIR": str(tmp_path), "TZ": "Europe/Berlin"},
    )
    assert result.stdout.strip().splitlines()[-1] == "Europe/Berlin", result.stderr


def test_production_without_text_reminders_needs_no_sms_provider(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION, "SMS_REMINDERS": "0", "KAPCOUPLES_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_refuses_text_reminders_through_the_logging_backend(tmp_path):
    result = run(["manage.py", "check", "--deploy"], {**PRODUCTION, "KAPCOUPLES_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "jobs.E001" in result.stderr and "only logs them" in result.stderr


def test_production_says_at_start_that_text_reminders_would_only_be_logged(tmp_path):
    result = python("print('started')", {**PRODUCTION, "LOG_FORMAT": "plain", "KAPCOUPLES_VAR_DIR": str(tmp_path)})
    assert "jobs.E001" in result.stderr and "SMS_REMINDERS=0" in result.stderr, result.stderr


def test_the_twilio_backend_needs_its_account_and_sender(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy"],
        {**PRODUCTION, "SMS_BACKEND": "jobs.sms_twilio.TwilioSMSBackend", "KAPCOUPLES_VAR_DIR": str(tmp_path)},
    )
    assert "jobs.E003" in result.stderr and "TWILIO_ACCOUNT_SID" in result.stderr, result.stderr


def test_the_https_redirect_can_be_turned_off_explicitly_for_plain_http_on_one_machine():
    result = python(
        "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT)",
        {**PRODUCTION, "SECURE_SSL_REDIRECT": "0"},
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_files_go_to_s3_when_a_bucket_is_named():
    code = (
        "from django.core.files.storage import storages; s = storages['default']; print(type(s).__name__, s.location)"
    )
    result = python(code, {**PRODUCTION, "AWS_STORAGE_BUCKET_NAME": "kap-media"})
    assert result.stdout.strip().splitlines()[-1] == "S3Storage media", result.stderr
    result = python(code, PRODUCTION)
    assert result.stdout.strip().splitlines()[-1].startswith("FileSystemStorage"), result.stderr


def test_s3_settings_are_read_strictly():
    result = python("", {**PRODUCTION, "AWS_STORAGE_BUCKET_NAME": "Not A Bucket"})
    assert "is not a bucket name" in result.stderr
    result = python(
        "", {**PRODUCTION, "AWS_STORAGE_BUCKET_NAME": "kap-media", "AWS_S3_ENDPOINT_URL": "http://minio.clinic.example"}
    )
    assert "must be an https:// URL in production" in result.stderr
    result = python("", {**PRODUCTION, "AWS_STORAGE_BUCKET_NAME": "kap-media", "AWS_ACCESS_KEY_ID": "AKIA123"})
    assert "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in result.stderr


def test_production_logs_json_by_default():
    result = python(
        "from django.conf import settings; print(settings.LOGGING['handlers']['console']['formatter'])", PRODUCTION
    )
    assert result.stdout.strip().splitlines()[-1] == "json", result.stderr


def test_every_background_task_is_routed_to_a_queue_that_exists():
    from kapcouples.celery import app

    app.loader.import_default_modules()
    queues = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert {"reminders", "documents", "exports"} <= queues
    for name, route in settings.CELERY_TASK_ROUTES.items():
        assert name in app.tasks, f"{name} is routed but no such task exists (renamed?)"
        assert route["queue"] in queues
    unrouted = [name for name in app.tasks if name.startswith("jobs.") and name not in settings.CELERY_TASK_ROUTES]
    assert unrouted == [], "route new background tasks in settings.CELERY_TASK_ROUTES"
    assert settings.CELERY_TASK_ROUTES["jobs.tasks.reminders_dispatch"]["queue"] == "reminders"
    assert settings.CELERY_TASK_ROUTES["jobs.tasks.export_build"]["queue"] == "exports"
    beats = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == "ops.tasks.heartbeat"]
    assert sorted(entry["options"]["queue"] for entry in beats) == sorted(settings.OPS_HEARTBEAT_QUEUES)
