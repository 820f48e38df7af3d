"""Clinic settings: defaults from CLINICAL.md, changed only by admins, every change audited."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import ClinicSettingChange
from clinic.services import clinic_settings_get, clinic_settings_update

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_the_clinical_ones():
    s = clinic_settings_get()
    assert (s.preparation_min, s.preparation_max, s.integration_min) == (2, 3, 1)
    assert (s.medicine_sessions_min, s.medicine_sessions_max, s.days_between_medicine) == (2, 8, 7)
    assert (s.bp_flag_systolic, s.bp_flag_diastolic, s.bp_hold_systolic, s.bp_hold_diastolic) == (140, 90, 160, 100)
    assert (s.assessment_minutes, s.preparation_minutes, s.medicine_minutes, s.integration_minutes) == (90, 60, 180, 75)


def test_a_change_is_audited_with_who_and_what(clinic_admin):
    clinic_settings_update(by=clinic_admin, values={"preparation_max": 4})
    change = ClinicSettingChange.objects.get()
    assert (change.field, change.old_value, change.new_value, change.changed_by) == (
        "preparation_max",
        "3",
        "4",
        clinic_admin,
    )


def test_a_minimum_above_the_maximum_is_refused_and_nothing_changes(clinic_admin):
    with pytest.raises(ValidationError):
        clinic_settings_update(by=clinic_admin, values={"preparation_min": 5})
    assert clinic_settings_get().preparation_min == 2
    assert not ClinicSettingChange.objects.exists()


def test_a_therapist_cannot_change_settings(therapist, client_for):
    with pytest.raises(ValidationError):
        clinic_settings_update(by=therapist, values={"preparation_max": 4})
    assert client_for(therapist).post(reverse("clinic:settings"), {"preparation_max": 4}).status_code == 403
    assert clinic_settings_get().preparation_max == 3


def test_settings_page_shows_field_errors(clinic_admin, client_for):
    data = {f: getattr(clinic_settings_get(), f) for f in ["clinic_name"]}
    response = client_for(clinic_admin).post(reverse("clinic:settings"), data)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def run_settings(env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "EMAIL_HOST",
            "KAPCOUPLES_ENV",
            "TOTP_ENCRYPTION_KEYS",
        }
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "kapcouples.settings", **env},
    )


def test_production_refuses_to_start_without_a_real_secret_key():
    result = run_settings({"KAPCOUPLES_ENV": "production"})
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr
    result = run_settings({"KAPCOUPLES_ENV": "production", "SECRET_KEY": "django-insecure-" + "x" * 60})
    assert "SECRET_KEY must be at least 50 random characters" in result.stderr


def test_production_with_everything_set_starts():
    result = run_settings(
        {
            "KAPCOUPLES_ENV": "production",
            "SECRET_KEY": "k3Y-" + "abcdefghij" * 6,
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
            "ALLOWED_HOSTS": "clinic.example",
            "EMAIL_HOST": "smtp.clinic.example",
            "TOTP_ENCRYPTION_KEYS": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG=",
        }
    )
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_totp_encryption_key():
    result = run_settings(
        {
            "KAPCOUPLES_ENV": "production",
            "SECRET_KEY": "k3Y-" + "abcdefghij" * 6,
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
            "ALLOWED_HOSTS": "clinic.example",
            "EMAIL_HOST": "smtp.clinic.example",
        }
    )
    assert result.returncode != 0 and "TOTP_ENCRYPTION_KEYS is required" in result.stderr
    result = run_settings(
        {
            "KAPCOUPLES_ENV": "production",
            "SECRET_KEY": "k3Y-" + "abcdefghij" * 6,
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
            "ALLOWED_HOSTS": "clinic.example",
            "EMAIL_HOST": "smtp.clinic.example",
            "TOTP_ENCRYPTION_KEYS": "not-a-key",
        }
    )
    assert result.returncode != 0 and "is not a Fernet key" in result.stderr


def test_a_bad_boolean_stops_the_process_with_a_message():
    result = run_settings({"DEBUG": "maybe"})
    assert "DEBUG='maybe' is not a boolean" in result.stderr
