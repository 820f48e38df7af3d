"""#17 item 8: the case report and the case CSV say what the record says. The case-report PDF shows each score
with its band and flags (the PHQ-9 item 9 flag included), read back with pdftotext; the sessions CSV names the
partner of each dose, read back with csv; no CSV cell starts a formula. Bands: PHQ-9 Kroenke, Spitzer & Williams
2001 (0-4/5-9/10-14/15-19/20-27); GAD-7 Spitzer et al. 2006 (cut points 5/10/15)."""

import csv
import datetime
import io
import re
import subprocess
import zipfile

import pytest
from django.utils import timezone

from cases.services import questionnaire_record
from dosing.tests.factories import approval_on_file, document_medicine
from jobs import exports
from sessions.choices import Phase
from sessions.tests.helpers import held

from .helpers import pdftotext_path

pytestmark = pytest.mark.django_db

PHQ9_15_ITEM9 = [3, 3, 2, 2, 2, 1, 1, 0, 1]  # 15, moderately severe, item 9 answered 1
PHQ9_4 = [1, 1, 1, 1, 0, 0, 0, 0, 0]  # 4, minimal: the top of the lowest band
GAD7_10 = [2, 2, 2, 1, 1, 1, 1]  # 10, moderate: the cut point itself


def plain_text(data: bytes, tmp_path) -> str:
    """The PDF's text in reading order, whitespace collapsed (a table cell may wrap over lines)."""
    source = tmp_path / "report.pdf"
    source.write_bytes(data)
    out = subprocess.run([pdftotext_path(), str(source), "-"], capture_output=True, text=True, check=True, timeout=60)
    return re.sub(r"\s+", " ", out.stdout)


@pytest.fixture
def documented(couple, therapist, prescriber):
    approval_on_file(couple, prescriber)
    day = timezone.now() - datetime.timedelta(days=10)
    held(couple, therapist, Phase.ASSESSMENT, day)
    for hours in (24, 48):  # the two preparations the protocol asks for before the medicine session
        held(couple, therapist, Phase.PREPARATION, day + datetime.timedelta(hours=hours))
    medicine = held(couple, therapist, Phase.MEDICINE, day + datetime.timedelta(days=3), status="scheduled")
    document_medicine(medicine, by=therapist, prescriber=prescriber)
    a, b = couple.partners.order_by("label")
    questionnaire_record(by=therapist, partner=a, instrument="PHQ9", answers=PHQ9_15_ITEM9)
    questionnaire_record(by=therapist, partner=b, instrument="PHQ9", answers=PHQ9_4)
    questionnaire_record(by=therapist, partner=b, instrument="GAD7", answers=GAD7_10)
    return couple


def build(clinic_admin):
    job = exports.export_start(by=clinic_admin, filters={})
    exports.export_build(job.pk, worker="w")
    job.refresh_from_db()
    return job


def test_the_case_report_shows_each_score_with_its_band_and_the_item_9_flag(documented, clinic_admin, tmp_path):
    job = build(clinic_admin)
    archive = zipfile.ZipFile(job.reports_zip.open("rb"))
    text = plain_text(archive.read(f"{documented.case_number}.pdf"), tmp_path)
    assert "Band" in text and "Flags" in text
    # pdftotext reads a wrapped table cell's lines in layout order: each partner's outcomes, not one exact line.
    a, b = documented.partners.order_by("label")
    a_part = text.split(f"{a.full_name} Questionnaire", 1)[1].split(f"{b.full_name} Questionnaire", 1)[0]
    b_part = text.split(f"{b.full_name} Questionnaire", 1)[1].split("Reliable change", 1)[0]
    for words in ("PHQ-9", "15/27", "moderately severe", "PHQ-9 item 9 answered above 0: suicide risk"):
        assert words in a_part, words
    assert "10/21 moderate none" in b_part
    assert "4/27 minimal none" in b_part
    assert text.count("suicide risk") == 1  # partner B's PHQ-9 raised no flag
    assert "mg/kg at 70.0 kg" in text  # the doses given, with the weight used


def test_the_sessions_csv_names_the_partner_of_each_dose(documented, clinic_admin):
    job = build(clinic_admin)
    rows = list(csv.DictReader(io.StringIO(job.sessions_csv.read().decode())))
    medicine = next(r for r in rows if r["phase"] == "Medicine session")
    a, b = documented.partners.order_by("label")
    doses = {p.pk: p.administrations.get().mg for p in (a, b)}
    assert medicine["doses_mg"] == (
        f"Partner A ({a.full_name}): {doses[a.pk]} mg; Partner B ({b.full_name}): {doses[b.pk]} mg"
    )
    assessment = next(r for r in rows if r["phase"] == "Assessment")
    assert assessment["doses_mg"] == ""


def test_no_cell_of_either_csv_starts_a_formula_even_from_user_text(documented, clinic_admin):
    a = documented.partners.get(label="A")
    type(a).objects.filter(pk=a.pk).update(first_name="=1+2", last_name="@SUM(A1)")
    job = build(clinic_admin)
    for field in (job.sessions_csv, job.couples_csv):
        cells = [cell for row in csv.reader(io.StringIO(field.read().decode())) for cell in row]
        assert cells
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], field.name
    couples = list(csv.DictReader(io.StringIO(job.couples_csv.open("rb").read().decode())))
    assert couples[0]["partner_a"].startswith("'=1+2")
