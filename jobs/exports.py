"""Case report exports for clinic admins: couples chosen by filters, built in the background into a CSV of
sessions, a CSV of couples and a ZIP of one PDF case report per couple; deleted after EXPORT_EXPIRY_HOURS.

Built couple by couple into temporary files on disk, so memory holds one couple at a time however many
couples match (the CSV rows stream to disk, each PDF goes into the ZIP as soon as it is rendered).
"""

import csv
import datetime
import logging
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from cases import policy
from cases.models import Couple, QuestionnaireResponse
from jobs.choices import ExportFile, ExportStatus
from jobs.models import ExportJob
from jobs.pdf import render_pdf
from outbox.models import OutboxKind
from outbox.services import outbox_add
from sessions.models import TherapySession

logger = logging.getLogger("jobs.exports")

CHUNK = 200
SESSION_COLUMNS = ["case_number", "session_uuid", "phase", "status", "start_local", "duration_minutes", "place",
                   "therapist", "approach", "doses_mg", "note_signed"]
COUPLE_COLUMNS = ["case_number", "couple_uuid", "status", "therapists", "prescriber", "partner_a", "partner_b",
                  "approach_current", "sessions_total", "sessions_completed", "medicine_sessions_completed",
                  "first_session", "last_session"]


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _date(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def export_couples(filters: dict) -> QuerySet[Couple]:
    """The couples an export with these filters covers (clinic-wide: exports are for clinic admins only).

    A date range keeps the couples with at least one session starting within it (clinic time, both days
    included); the therapist is one on the care team; the approach is one the couple has an approval for."""
    couples = Couple.objects.all()
    if filters.get("status"):
        couples = couples.filter(status=filters["status"])
    if filters.get("therapist"):
        couples = couples.filter(therapists__pk=filters["therapist"])
    if filters.get("approach"):
        from dosing.models import Approval

        couples = couples.filter(Exists(Approval.objects.filter(couple=OuterRef("pk"),
                                                                approach=filters["approach"])))
    sessions = _sessions_in_range(filters)
    if sessions is not None:
        couples = couples.filter(Exists(sessions.filter(couple=OuterRef("pk"))))
    return couples.distinct().order_by("pk")


def _sessions_in_range(filters: dict) -> QuerySet[TherapySession] | None:
    start, end = _date(filters.get("date_from")), _date(filters.get("date_to"))
    if start is None and end is None:
        return None
    sessions = TherapySession.objects.all()
    if start is not None:
        sessions = sessions.filter(start__gte=_local_midnight(start))
    if end is not None:
        sessions = sessions.filter(start__lt=_local_midnight(end + datetime.timedelta(days=1)))
    return sessions


def export_start(*, by: User, filters: dict) -> ExportJob:
    """Queue an export of the couples the filters match; refused with a message when none match."""
    policy.require_clinic_admin(by, what="export case reports")
    start, end = _date(filters.get("date_from")), _date(filters.get("date_to"))
    if start and end and start > end:
        raise ValidationError({"date_to": "The end date is before the start date."})
    total = export_couples(filters).count()
    if total == 0:
        raise ValidationError("No couples match these filters, so there is nothing to export. Widen the dates or "
                              "clear a filter.")
    with transaction.atomic():  # the job, its audit row and the work it asks for stand or fall together
        job = ExportJob.objects.create(requested_by=by, filters=filters, progress_total=total)
        _audit(by=by, job=job, summary=f"export {job.uuid} started ({total} couples)")
        outbox_add(kind=OutboxKind.EXPORT_REQUESTED, object_id=job.pk)
    return job


def _audit(*, by: User, job: ExportJob, summary: str, request=None) -> None:
    from audit.choices import AuditAction
    from audit.services import audit_record

    audit_record(action=AuditAction.EXPORT, actor=by, request=request, obj=job, summary=summary)


def export_download_recorded(*, by: User, job: ExportJob, name: str, request=None) -> None:
    """Every download of an export's file is on the audit trail."""
    from audit.choices import AuditAction
    from audit.services import audit_record

    audit_record(action=AuditAction.DOWNLOAD, actor=by, request=request, obj=job,
                 summary=f"export {job.uuid} {name} downloaded")


# -- building -----------------------------------------------------------------------------------------


def _safe(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _couple_chunks(filters: dict):
    """The matched couples in chunks, with what the rows and reports need prefetched per chunk."""
    from dosing.models import Administration, Approval, ApprovalDose

    ids = export_couples(filters).values_list("pk", flat=True)
    last = 0
    while True:
        chunk_ids = list(ids.filter(pk__gt=last)[:CHUNK])
        if not chunk_ids:
            return
        last = chunk_ids[-1]
        sessions = _sessions_in_range(filters)
        session_qs = (sessions if sessions is not None else TherapySession.objects.all()).select_related(
            "therapist", "approval", "note").order_by("start", "id")
        yield list(Couple.objects.filter(pk__in=chunk_ids).order_by("pk").select_related("prescriber")
                   .prefetch_related(
                       "therapists", "partners__screening",
                       Prefetch("sessions", queryset=session_qs, to_attr="export_sessions"),
                       Prefetch("approvals", queryset=Approval.objects.with_is_current()
                                .select_related("signed_by", "revocation")
                                .prefetch_related(Prefetch("doses", queryset=ApprovalDose.objects.select_related(
                                    "partner"))).order_by("signed_at"), to_attr="export_approvals"),
                       Prefetch("partners__administrations", queryset=Administration.objects.select_related(
                           "session").order_by("at"), to_attr="export_doses"),
                       Prefetch("partners__questionnaires", queryset=QuestionnaireResponse.objects.order_by(
                           "instrument", "administered_on"), to_attr="export_scores"),
                   ))


def _session_rows(couple: Couple):
    doses_by_session: dict[int, list] = {}
    for partner in couple.partners.all():
        for dose in partner.export_doses:
            doses_by_session.setdefault(dose.session_id, []).append(dose)
    for s in couple.export_sessions:
        note = getattr(s, "note", None)
        doses = doses_by_session.get(s.pk, [])
        yield [couple.case_number, s.uuid, s.get_phase_display(), s.get_status_display(),
               timezone.localtime(s.start).strftime("%Y-%m-%d %H:%M"), s.duration_minutes, s.place_label,
               str(s.therapist), s.approval.get_approach_display() if s.approval else "",
               "; ".join(f"{d.mg}" for d in doses), "yes" if note is not None and note.is_signed else "no"]


def _couple_row(couple: Couple) -> list:
    sessions = couple.export_sessions
    partners = {p.label: p for p in couple.partners.all()}
    current = next((a for a in couple.export_approvals if a.is_current), None)
    completed = [s for s in sessions if s.status == "completed"]
    return [couple.case_number, couple.uuid, couple.get_status_display(),
            "; ".join(str(t) for t in couple.therapists.all()), str(couple.prescriber or ""),
            partners["A"].full_name if "A" in partners else "", partners["B"].full_name if "B" in partners else "",
            current.get_approach_display() if current else "", len(sessions), len(completed),
            len([s for s in completed if s.phase == "medicine"]),
            timezone.localtime(sessions[0].start).strftime("%Y-%m-%d") if sessions else "",
            timezone.localtime(sessions[-1].start).strftime("%Y-%m-%d") if sessions else ""]


def case_report_html(couple: Couple, *, clinic: str, filters: dict) -> str:
    """One couple's whole course for the case report PDF (the couple comes prefetched by _couple_chunks)."""
    partners = list(couple.partners.all())
    return render_to_string("jobs/pdf/case_report.html", {
        "clinic": clinic, "couple": couple, "partners": partners, "sessions": couple.export_sessions,
        "approvals": couple.export_approvals, "generated_at": timezone.now(), "filters": filters,
    })


def export_build(job_id: int, *, worker: str) -> str | None:
    """Build an export's files if it is queued (or its builder died); returns the status it ended in."""
    from clinic.services import clinic_settings_get

    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.JOBS_STALE_SECONDS)
    claimed = ExportJob.objects.filter(pk=job_id).filter(
        Q(status=ExportStatus.QUEUED) | Q(status=ExportStatus.RUNNING, heartbeat_at__lt=stale)
    ).update(status=ExportStatus.RUNNING, claimed_by=worker, heartbeat_at=now, progress_done=0)
    if not claimed:
        return None
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    mine = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING, claimed_by=worker)
    # Queued work acts for the admin who asked: if they may no longer export (deactivated, no longer an admin),
    # nothing is built.
    allowed = policy.may_administer_clinic(job.requested_by)
    if not allowed:
        mine.update(status=ExportStatus.FAILED, error=f"Not built: {allowed.reason}"[:300])
        return ExportStatus.FAILED
    clinic = clinic_settings_get().clinic_name
    try:
        with tempfile.TemporaryDirectory(prefix="kap-export-") as tmp:
            folder = Path(tmp)
            done = 0
            with open(folder / "sessions.csv", "w", newline="", encoding="utf-8") as sessions_file, \
                    open(folder / "couples.csv", "w", newline="", encoding="utf-8") as couples_file, \
                    zipfile.ZipFile(folder / "reports.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
                sessions_csv, couples_csv = csv.writer(sessions_file), csv.writer(couples_file)
                sessions_csv.writerow(SESSION_COLUMNS)
                couples_csv.writerow(COUPLE_COLUMNS)
                for chunk in _couple_chunks(job.filters):
                    for couple in chunk:
                        for row in _session_rows(couple):
                            sessions_csv.writerow([_safe(v) for v in row])
                        couples_csv.writerow([_safe(v) for v in _couple_row(couple)])
                        pdf, _refused = render_pdf(case_report_html(couple, clinic=clinic, filters=job.filters))
                        archive.writestr(f"{couple.case_number}.pdf", pdf)
                        done += 1
                        # The heartbeat proves this worker is alive; losing the row means another took over.
                        if not mine.update(progress_done=min(done, job.progress_total), heartbeat_at=timezone.now()):
                            return None
            total = done
            files = {}
            for field, name, local in (("sessions_csv", ExportFile.SESSIONS_CSV, "sessions.csv"),
                                       ("couples_csv", ExportFile.COUPLES_CSV, "couples.csv"),
                                       ("reports_zip", ExportFile.REPORTS_ZIP, "reports.zip")):
                with open(folder / local, "rb") as handle:
                    getattr(job, field).save(name.value, File(handle), save=False)
                    files[field] = getattr(job, field).name
    except Exception as exc:  # noqa: BLE001 - recorded on the job for the admin to see
        logger.exception("Export %s failed", job_id)
        mine.update(status=ExportStatus.FAILED, error=f"The export could not be built ({type(exc).__name__}).")
        return ExportStatus.FAILED
    finished = timezone.now()
    if not mine.update(status=ExportStatus.DONE, progress_done=total, progress_total=total, finished_at=finished,
                       expires_at=finished + datetime.timedelta(hours=settings.EXPORT_EXPIRY_HOURS), **files):
        for name in files.values():
            job.sessions_csv.storage.delete(name)
        return None
    return ExportStatus.DONE


def exports_waiting() -> list[int]:
    """Exports queued with no worker on them, or whose worker stopped sending heartbeats."""
    stale = timezone.now() - datetime.timedelta(seconds=settings.JOBS_STALE_SECONDS)
    return list(ExportJob.objects.filter(
        Q(status=ExportStatus.QUEUED, created_at__lt=timezone.now() - datetime.timedelta(seconds=30))
        | Q(status=ExportStatus.RUNNING, heartbeat_at__lt=stale)).values_list("pk", flat=True)[:5])


def exports_expire() -> int:
    """Delete the files of exports past their expiry; the job row stays as the record that it existed."""
    expired = 0
    for job in ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=timezone.now()):
        for field in (job.sessions_csv, job.couples_csv, job.reports_zip):
            if field.name:
                field.storage.delete(field.name)
        expired += ExportJob.objects.filter(pk=job.pk, status=ExportStatus.DONE).update(
            status=ExportStatus.EXPIRED, sessions_csv="", couples_csv="", reports_zip="")
    return expired
