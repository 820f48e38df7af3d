"""Building sessions and notes for the background-work tests."""

import datetime
import shutil

import pytest
from django.utils import timezone

from sessions import services
from sessions.choices import Phase, Place
from tests.browser import require_or_skip


def book(couple, therapist, *, hours: float, phase: str = Phase.ASSESSMENT):
    """Book a session hours from now through the service (so its on-commit hooks run)."""
    start = timezone.now() + datetime.timedelta(hours=hours)
    return services.session_schedule(
        by=therapist, couple=couple, therapist=therapist, phase=phase, start=start, place=Place.TELEHEALTH
    ).session


def pdftotext_path() -> str:
    path = shutil.which("pdftotext")
    if path is None:
        require_or_skip("pdftotext", "install it with: sudo apt-get install poppler-utils")
    return path


def pdf_text(data: bytes, tmp_path) -> str:
    import subprocess

    source = tmp_path / "document.pdf"
    source.write_bytes(data)
    result = subprocess.run(
        [pdftotext_path(), "-layout", str(source), "-"], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit hooks of what happens inside the block (the test's transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
