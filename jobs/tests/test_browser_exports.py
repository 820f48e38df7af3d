"""Browser: a clinic admin starts an export, watches its progress bar move, and downloads the ZIP and the CSV."""

import csv
import datetime
import io
import threading
import time
import zipfile

import pytest
from django.db import connection
from django.utils import timezone

from jobs import exports
from jobs.models import ExportJob
from sessions.choices import Phase
from sessions.tests.helpers import held
from tests.factories import CoupleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def build_slowly(job_id: int, seconds_per_couple: float):
    """The worker, in a thread of the test: each case report takes a moment, so the bar has time to move."""
    original = exports.render_pdf

    def slow(html):
        time.sleep(seconds_per_couple)
        return original(html)

    def run():
        try:
            exports.render_pdf = slow
            exports.export_build(job_id, worker="browser-test")
        finally:
            exports.render_pdf = original
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_admin_exports_watches_progress_and_downloads(page, login, clinic_admin, therapist, monkeypatch, tmp_path):
    monkeypatch.setattr("outbox.services.outbox_publish", lambda **kwargs: None)  # this test is the worker
    couples = [CoupleFactory(therapists=[therapist]) for _ in range(4)]
    for couple in couples:
        held(couple, therapist, Phase.ASSESSMENT, timezone.now() - datetime.timedelta(days=3))

    login(clinic_admin)
    page.goto("/exports/")
    page.get_by_label("Therapist").select_option(label=str(therapist))
    page.get_by_role("button", name="Start the export").click()
    page.wait_for_url("**/exports/*/")
    page.get_by_text("0 of 4").wait_for()
    job = ExportJob.objects.get()

    thread = build_slowly(job.pk, 0.7)
    # The bar moves while the export is built (polled in the background), then the page offers the files.
    seen = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not seen & {"1 of 4", "2 of 4", "3 of 4"}:
        seen.add(page.locator("#export-count").inner_text())
        if seen & {"1 of 4", "2 of 4", "3 of 4"}:
            assert page.locator("#export-status-label").inner_text() == "Building"
        time.sleep(0.2)
    assert seen & {"1 of 4", "2 of 4", "3 of 4"}, f"The bar never showed progress: {seen}"
    zip_link = page.get_by_role("link", name="Case reports (ZIP of one PDF per couple)")
    zip_link.wait_for(timeout=30_000)
    thread.join(timeout=30)

    with page.expect_download() as info:
        zip_link.click()
    archive = zipfile.ZipFile(info.value.path())
    assert sorted(archive.namelist()) == sorted(f"{c.case_number}.pdf" for c in couples)
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())

    with page.expect_download() as info:
        page.get_by_role("link", name="Sessions (CSV, one row per session)").click()
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert sorted(r["case_number"] for r in rows) == sorted(c.case_number for c in couples)
    assert {r["phase"] for r in rows} == {"Assessment"}
    assert {r["status"] for r in rows} == {"Completed"}
