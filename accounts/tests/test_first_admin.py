"""A new clinic's first admin, made from the command line, can use the product without the Django admin."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db
STRONG = "a-long-clinic-passphrase-2026"


def test_create_clinic_admin_makes_a_clinic_admin_who_reaches_the_admin_home(monkeypatch, client_for, capsys):
    monkeypatch.setenv("KAPCOUPLES_ADMIN_PASSWORD", STRONG)
    call_command("create_clinic_admin", "--username", "Rosa", "--email", "rosa@clinic.example", "--first-name", "Rosa")
    admin = User.objects.get(username="rosa")
    assert admin.is_clinic_admin and admin.check_password(STRONG)
    assert "second factor" in capsys.readouterr().out
    response = client_for(admin).get(reverse("accounts:admin_home"))
    assert response.status_code == 200


def test_create_clinic_admin_refuses_a_weak_password_and_creates_nothing(monkeypatch):
    monkeypatch.setenv("KAPCOUPLES_ADMIN_PASSWORD", "123")
    with pytest.raises(CommandError, match="password:"):
        call_command("create_clinic_admin", "--username", "rosa", "--email", "rosa@clinic.example")
    assert not User.objects.filter(username="rosa").exists()


def test_create_clinic_admin_refuses_a_taken_username(monkeypatch, clinic_admin):
    monkeypatch.setenv("KAPCOUPLES_ADMIN_PASSWORD", STRONG)
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_clinic_admin", "--username", clinic_admin.username, "--email", "new@clinic.example")


def test_createsuperuser_gives_a_clinic_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", STRONG)
    call_command("createsuperuser", "--no-input", "--username", "root", "--email", "root@clinic.example")
    assert User.objects.get(username="root").is_clinic_admin
