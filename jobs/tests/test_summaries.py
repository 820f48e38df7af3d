"""PDF session summaries: built after a note is signed or amended, read back with pdftotext, downloadable by those
who may see the couple, and never loading anything from outside the project."""

import datetime
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from jobs import summaries
from jobs.choices import DocumentStatus, SummaryTrigger
from jobs.models import SessionSummary
from jobs.pdf import render_pdf
from sessions import services
from sessions.choices import Phase
from sessions.models import SessionNote
from sessions.tests.helpers import held

from .helpers import pdf_text

pytestmark = pytest.mark.django_db


def signed_note(couple, therapist, run, *, history="Met in 2015; long-standing conflict about work.", goals="Repair."):
    session = held(couple, therapist, Phase.ASSESSMENT, timezone.now() - datetime.timedelta(days=1))
    services.note_save_draft(
        by=therapist, session=session, content={"history": history, "goals": goals, "observations": ""}
    )
    note = SessionNote.objects.get(session=session)
    with run():
        note = services.note_sign(by=therapist, note=note)
    return session, note


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_signing_a_note_builds_a_summary_with_the_couple_phase_and_note(couple, therapist, run, tmp_path):
    session, _ = signed_note(couple, therapist, run)
    summary = SessionSummary.objects.get(session=session)
    assert (summary.version, summary.trigger, summary.status) == (1, SummaryTrigger.SIGNED, DocumentStatus.READY)
    text = pdf_text(summary.file.read(), tmp_path)
    for partner in couple.partners.all():
        assert partner.full_name in text
    assert "Assessment" in text and couple.case_number in text
    assert "long-standing conflict about work" in text
    assert str(therapist) in text


def test_an_amendment_builds_a_new_version_with_it(couple, therapist, run, tmp_path):
    session, note = signed_note(couple, therapist, run)
    with run():
        services.note_amend(by=therapist, note=note, text="Correction: they met in 2014.")
    versions = list(SessionSummary.objects.filter(session=session).order_by("version"))
    assert [(v.version, v.trigger) for v in versions] == [(1, SummaryTrigger.SIGNED), (2, SummaryTrigger.AMENDED)]
    assert "Correction: they met in 2014." in pdf_text(versions[1].file.read(), tmp_path)
    assert "Correction" not in pdf_text(versions[0].file.read(), tmp_path)


def test_asking_twice_for_the_same_change_builds_one_version(couple, therapist, run):
    session, _ = signed_note(couple, therapist, run)
    again = summaries.summary_request(session_id=session.pk, trigger=SummaryTrigger.SIGNED)
    assert SessionSummary.objects.filter(session=session).count() == 1
    assert summaries.summary_render(again.pk) is None  # already built: a second run does nothing


def test_html_and_urls_in_a_note_are_printed_as_text_and_nothing_is_fetched(
    couple, therapist, run, tmp_path, monkeypatch
):
    fetched = []
    from jobs import pdf

    original = pdf.ProjectOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.ProjectOnlyFetcher, "fetch", spy)
    hostile = '<img src="file:///etc/passwd"> <a href="http://evil.example/x">click</a> <b>bold</b>'
    session, _ = signed_note(couple, therapist, run, history=hostile)
    summary = SessionSummary.objects.get(session=session)
    assert summary.status == DocumentStatus.READY
    text = pdf_text(summary.file.read(), tmp_path)
    assert '<img src="file:///etc/passwd">' in text  # shown as the text it is
    assert "root:" not in text
    assert all(url.endswith(".woff2") and "/dejavu-sans/" in url for url in fetched), fetched


def test_the_fetcher_refuses_everything_outside_the_bundled_fonts(tmp_path):
    html = (
        '<html><body><p>Before</p><img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
        '<link rel="stylesheet" href="https://cdn.example/x.css"><p>After</p></body></html>'
    )
    pdf, refused = render_pdf(html)
    assert set(refused) >= {"file:///etc/passwd", "http://127.0.0.1:9/x.png"}
    text = pdf_text(pdf, tmp_path)
    assert "Before" in text and "After" in text and "root:" not in text


def test_the_pdf_embeds_the_bundled_font(couple, therapist, run, tmp_path):
    pdffonts = shutil.which("pdffonts")
    if pdffonts is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    session, _ = signed_note(couple, therapist, run)
    path = tmp_path / "s.pdf"
    path.write_bytes(SessionSummary.objects.get(session=session).file.read())
    fonts = subprocess.run([pdffonts, str(path)], capture_output=True, text=True, check=True).stdout
    body = fonts.splitlines()[2:]
    assert body and all("DejaVu" in line for line in body), fonts


def test_a_medicine_session_summary_has_the_approval_doses_vitals_and_discharge(
    therapist, prescriber, couple, run, tmp_path
):
    import time_machine

    from dosing.tests.factories import approval_on_file, document_medicine
    from sessions.tests.helpers import history

    approval_on_file(couple, prescriber)
    now = timezone.now()
    history(
        couple,
        therapist,
        [
            (Phase.ASSESSMENT, now - datetime.timedelta(days=30)),
            (Phase.PREPARATION, now - datetime.timedelta(days=20)),
            (Phase.PREPARATION, now - datetime.timedelta(days=10)),
        ],
    )
    start = now - datetime.timedelta(hours=4)
    session = held(couple, therapist, Phase.MEDICINE, start, status="scheduled", minutes=180)
    document_medicine(session, by=therapist, prescriber=prescriber)
    with run():
        services.session_complete(by=therapist, session=session)
    summary = SessionSummary.objects.get(session=session)
    assert (summary.trigger, summary.status) == (SummaryTrigger.COMPLETED, DocumentStatus.READY)
    text = pdf_text(summary.file.read(), tmp_path)
    assert "Medicine session" in text
    assert "Dual psycholytic" in text
    for partner in couple.partners.all():
        assert partner.full_name in text
    assert "50.00 mg" in text  # the approved and given dose (half of 100 mg)
    assert "126/82 mmHg" in text
    assert "A. Friend" in text  # discharge
    del time_machine


def test_the_download_is_for_those_who_may_see_the_couple_and_is_recorded(
    couple, therapist, other_therapist, prescriber, clinic_admin, run, client_for
):
    session, _ = signed_note(couple, therapist, run)
    summary = SessionSummary.objects.get(session=session)
    url = reverse("jobs:summary_download", args=[summary.uuid])
    assert client_for(other_therapist).get(url).status_code == 404
    for user in (therapist, prescriber, clinic_admin):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    downloads = AuditEvent.objects.filter(action="download", object_id=str(summary.pk))
    assert downloads.count() == 3 and set(downloads.values_list("couple_id", flat=True)) == {couple.pk}


def test_the_session_page_lists_the_summary(couple, therapist, run, client_for):
    session, _ = signed_note(couple, therapist, run)
    summary = SessionSummary.objects.get(session=session)
    html = client_for(therapist).get(reverse("sessions:session_detail", args=[session.uuid])).content.decode()
    assert reverse("jobs:summary_download", args=[summary.uuid]) in html
