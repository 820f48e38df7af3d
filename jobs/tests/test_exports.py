"""Case report exports: filters validated, built in the background into two CSVs and a ZIP of PDFs, downloads
recorded, files deleted when they expire."""

import csv
import datetime
import io
import zipfile

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from jobs import exports
from jobs.choices import ExportStatus
from jobs.models import ExportJob
from sessions.choices import Phase
from sessions.tests.helpers import held
from tests.factories import CoupleFactory

from .helpers import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_couples(couple, other_couple, therapist, other_therapist):
    day = timezone.now() - datetime.timedelta(days=10)
    held(couple, therapist, Phase.ASSESSMENT, day)
    held(couple, therapist, Phase.PREPARATION, day + datetime.timedelta(days=3))
    held(other_couple, other_therapist, Phase.ASSESSMENT, day - datetime.timedelta(days=60))
    return couple, other_couple


def post_export(client, **data):
    return client.post(
        reverse("jobs:export_list"),
        {"date_from": "", "date_to": "", "status": "", "therapist": "", "approach": "", **data},
    )


def test_only_clinic_admins_reach_exports(client_for, therapist):
    assert client_for(therapist).get(reverse("jobs:export_list")).status_code == 403


def test_a_reversed_date_range_is_a_field_error_and_starts_nothing(client_for, clinic_admin, two_couples):
    response = post_export(client_for(clinic_admin), date_from="2030-03-10", date_to="2030-03-01")
    assert response.status_code == 400
    assert "The end date is before the start date" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_no_couples_matched_is_a_clear_message_and_no_job(client_for, clinic_admin, two_couples):
    response = post_export(client_for(clinic_admin), status="declined")
    assert response.status_code == 400
    assert "No couples match these filters" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_filters_choose_couples(two_couples, therapist):
    couple, other = two_couples
    today = timezone.localdate()
    assert list(exports.export_couples({"therapist": therapist.pk})) == [couple]
    recent = {"date_from": (today - datetime.timedelta(days=20)).isoformat(), "date_to": today.isoformat()}
    assert list(exports.export_couples(recent)) == [couple]
    assert set(exports.export_couples({})) == {couple, other}


def test_an_export_builds_csvs_and_a_zip_of_case_reports(
    client_for, clinic_admin, two_couples, tmp_path, django_capture_on_commit_callbacks
):
    couple, other = two_couples
    client = client_for(clinic_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_export(client)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:export_detail", args=[job.uuid])
    assert (job.status, job.progress_done, job.progress_total) == (ExportStatus.DONE, 2, 2)
    assert job.expires_at == job.finished_at + datetime.timedelta(hours=24)

    status = client.get(reverse("jobs:export_status", args=[job.uuid]), HTTP_X_BACKGROUND_POLL="1").json()
    assert (status["status"], status["percent"]) == ("done", 100)
    assert [f["name"] for f in status["files"]] == ["sessions.csv", "couples.csv", "case-reports.zip"]

    def download(name):
        response = client.get(reverse("jobs:export_download", args=[job.uuid, name]))
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
        return b"".join(response.streaming_content)

    sessions = list(csv.DictReader(io.StringIO(download("sessions.csv").decode())))
    assert sorted(r["case_number"] for r in sessions) == sorted([couple.case_number] * 2 + [other.case_number])
    couples = list(csv.DictReader(io.StringIO(download("couples.csv").decode())))
    assert [(r["case_number"], r["sessions_total"]) for r in couples] == [
        (couple.case_number, "2"),
        (other.case_number, "1"),
    ]
    archive = zipfile.ZipFile(io.BytesIO(download("case-reports.zip")))
    assert sorted(archive.namelist()) == sorted([f"{couple.case_number}.pdf", f"{other.case_number}.pdf"])
    text = pdf_text(archive.read(f"{couple.case_number}.pdf"), tmp_path)
    assert "Case report" in text and couple.case_number in text
    for partner in couple.partners.all():
        assert partner.full_name in text
    assert "Preparation" in text

    recorded = AuditEvent.objects.filter(action="download", object_id=str(job.pk))
    assert recorded.count() == 3
    assert AuditEvent.objects.filter(action="export", object_id=str(job.pk)).count() == 1


def test_a_spreadsheet_formula_in_a_cell_is_defused(two_couples, clinic_admin):
    couple, _ = two_couples
    partner = couple.partners.get(label="A")
    partner.first_name = '=HYPERLINK("http://x")'
    partner.save()
    job = exports.export_start(by=clinic_admin, filters={})
    exports.export_build(job.pk, worker="w")
    job.refresh_from_db()
    rows = list(csv.reader(io.StringIO(job.couples_csv.read().decode())))
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)


def test_an_expired_export_is_deleted_and_no_longer_downloadable(two_couples, clinic_admin, client_for):
    job = exports.export_start(by=clinic_admin, filters={})
    exports.export_build(job.pk, worker="w")
    job.refresh_from_db()
    storage, name = job.reports_zip.storage, job.reports_zip.name
    assert storage.exists(name)
    with time_machine.travel(job.expires_at + datetime.timedelta(minutes=1), tick=False):
        assert exports.exports_expire() == 1
        response = client_for(clinic_admin).get(reverse("jobs:export_download", args=[job.uuid, "case-reports.zip"]))
    assert response.status_code == 404
    assert not storage.exists(name)
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED


def test_a_build_whose_worker_died_is_picked_up_again(two_couples, clinic_admin, settings):
    settings.JOBS_STALE_SECONDS = 60
    job = exports.export_start(by=clinic_admin, filters={})
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, claimed_by="dead", heartbeat_at=timezone.now(), progress_done=1
    )
    assert exports.export_build(job.pk, worker="w") is None  # still someone else's
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61), tick=False):
        assert exports.exports_waiting() == [job.pk]
        assert exports.export_build(job.pk, worker="w") == ExportStatus.DONE


def test_many_couples_are_built_a_chunk_at_a_time(clinic_admin, therapist, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 2)
    for _ in range(5):
        CoupleFactory(therapists=[therapist])
    job = exports.export_start(by=clinic_admin, filters={})
    assert exports.export_build(job.pk, worker="w") == ExportStatus.DONE
    job.refresh_from_db()
    assert job.progress_done == job.progress_total == 5
    assert len(zipfile.ZipFile(job.reports_zip.open("rb")).namelist()) == 5


def test_the_csv_rows_say_what_the_records_say(couple, therapist, prescriber, clinic_admin):
    from dosing.approvals import approval_revoke
    from dosing.tests.factories import approval_on_file, document_medicine
    from sessions.models import Room

    approval = approval_on_file(couple, prescriber)
    day = timezone.now() - datetime.timedelta(days=10)
    room = Room.objects.create(name="Garden room")
    first = held(couple, therapist, Phase.ASSESSMENT, day, place="office", room=room)
    # The protocol is asked again when the medicine session starts: its preparations were held.
    preparations = [held(couple, therapist, Phase.PREPARATION, day + datetime.timedelta(days=n)) for n in (1, 2)]
    medicine = held(couple, therapist, Phase.MEDICINE, day + datetime.timedelta(days=3), status="scheduled")
    document_medicine(medicine, by=therapist, prescriber=prescriber)
    type(medicine).objects.filter(pk=medicine.pk).update(status="completed")
    approval_revoke(by=prescriber, approval=approval, reason="New heart condition")
    sessions_file, couples_file = io.StringIO(), io.StringIO()
    exports.export_csv_write(filters={}, sessions_file=sessions_file, couples_file=couples_file)

    sessions = list(csv.DictReader(io.StringIO(sessions_file.getvalue())))
    assert [r["session_uuid"] for r in sessions] == [str(s.uuid) for s in (first, *preparations, medicine)]
    assert sessions[0]["place"] == "Garden room" and sessions[0]["phase"] == "Assessment"
    assert sessions[0]["start_local"] == timezone.localtime(first.start).strftime("%Y-%m-%d %H:%M")
    assert sessions[0]["therapist"] == str(therapist) and sessions[0]["doses_mg"] == ""
    doses = [
        f"Partner {p.label} ({p.full_name}): {d.mg} mg"
        for p in couple.partners.order_by("label")
        for d in p.administrations.order_by("at")
    ]
    assert sessions[3]["doses_mg"] == "; ".join(doses) and len(doses) == 2  # each dose names its partner
    assert sessions[3]["approach"] == approval.get_approach_display()
    assert sessions[3]["status"] == "Completed"

    (row,) = csv.DictReader(io.StringIO(couples_file.getvalue()))
    assert row["case_number"] == couple.case_number and row["prescriber"] == str(prescriber)
    assert row["therapists"] == str(therapist)
    assert row["partner_a"] == couple.partners.get(label="A").full_name
    assert (row["sessions_total"], row["sessions_completed"], row["medicine_sessions_completed"]) == ("4", "4", "1")
    assert row["first_session"] == timezone.localtime(first.start).strftime("%Y-%m-%d")
    # A revoked approval is not current (the old export still named its approach).
    assert row["approach_current"] == ""


@pytest.mark.parametrize("field, value", [("date_to", "9999-12-31"), ("date_from", "0001-01-01")])
def test_an_export_dated_outside_any_plausible_session_is_refused_next_to_the_date(
    client_for, clinic_admin, field, value
):
    from jobs.models import ExportJob

    response = client_for(clinic_admin).post(reverse("jobs:export_list"), {field: value})
    assert response.status_code == 400
    assert "Choose a date between 1990 and ten years from now." in response.content.decode()
    assert not ExportJob.objects.exists()
