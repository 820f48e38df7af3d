"""Case report exports for clinic admins: couples chosen by filters, built in the background into a CSV of
sessions, a CSV of couples and a ZIP of one PDF case report per couple; deleted after EXPORT_EXPIRY_HOURS.

Built into temporary files on disk, so memory does not grow with the couples matched: each CSV streams plain
rows of one query from a server-side cursor (no model objects), and the case reports are built a chunk of
couples at a time, each PDF going into the ZIP as soon as it is rendered.
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
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from cases import policy
from cases.models import Couple, QuestionnaireResponse
from jobs.choices import ExportFile, ExportStatus
from jobs.models import ExportJob
from jobs.pdf import render_pdf
from kapcouples.spreadsheet import csv_row
from outbox.models import OutboxKind
from outbox.services import outbox_add
from sessions.choices import NoteStatus, Phase, Place, SessionStatus
from sessions.models import TherapySession

logger = logging.getLogger("jobs.exports")

CHUNK = 200
SESSION_COLUMNS = [
    "case_number",
    "session_uuid",
    "phase",
    "status",
    "start_local",
    "duration_minutes",
    "place",
    "therapist",
    "approach",
    "doses_mg",
    "note_signed",
]
COUPLE_COLUMNS = [
    "case_number",
    "couple_uuid",
    "status",
    "therapists",
    "prescriber",
    "partner_a",
    "partner_b",
    "approach_current",
    "sessions_total",
    "sessions_completed",
    "medicine_sessions_completed",
    "first_session",
    "last_session",
]


# No session is older than this, and none lies more than ten years ahead (the booking horizon is far shorter):
# a date outside is a typing error, refused next to the field (year 9999 used to answer 500).
EARLIEST_DATE = datetime.date(1990, 1, 1)


def _latest_date() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=3653)


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

        couples = couples.filter(Exists(Approval.objects.filter(couple=OuterRef("pk"), approach=filters["approach"])))
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
    for name, day in (("date_from", start), ("date_to", end)):
        if day is not None and not EARLIEST_DATE <= day <= _latest_date():
            raise ValidationError({name: f"Choose a date between {EARLIEST_DATE.year} and ten years from now."})
    if start and end and start > end:
        raise ValidationError({"date_to": "The end date is before the start date."})
    total = export_couples(filters).count()
    if total == 0:
        raise ValidationError(
            "No couples match these filters, so there is nothing to export. Widen the dates or clear a filter."
        )
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

    audit_record(
        action=AuditAction.DOWNLOAD, actor=by, request=request, obj=job, summary=f"export {job.uuid} {name} downloaded"
    )


# -- building -----------------------------------------------------------------------------------------


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
        session_qs = (
            (sessions if sessions is not None else TherapySession.objects.all())
            .select_related("therapist", "approval", "note")
            .order_by("start", "id")
        )
        yield list(
            Couple.objects.filter(pk__in=chunk_ids)
            .order_by("pk")
            .select_related("prescriber")
            .prefetch_related(
                "therapists",
                "partners__screening",
                Prefetch("sessions", queryset=session_qs, to_attr="export_sessions"),
                Prefetch(
                    "approvals",
                    queryset=Approval.objects.with_is_current()
                    .select_related("signed_by", "revocation")
                    .prefetch_related(Prefetch("doses", queryset=ApprovalDose.objects.select_related("partner")))
                    .order_by("signed_at"),
                    to_attr="export_approvals",
                ),
                Prefetch(
                    "partners__administrations",
                    queryset=Administration.objects.select_related("session").order_by("at"),
                    to_attr="export_doses",
                ),
                Prefetch(
                    "partners__questionnaires",
                    queryset=QuestionnaireResponse.objects.order_by("instrument", "administered_on"),
                    to_attr="export_scores",
                ),
            )
        )


# -- the CSV files: one streamed query per file (plus one merged stream), plain tuples, constant memory -------

HEARTBEAT_ROWS = 2000  # how often the CSV writers prove the worker alive (and learn it lost the job)


class ExportLost(Exception):
    """The job is no longer this worker's (another took it over): stop writing."""


def _user_label(first: str, last: str, username: str, credentials: str) -> str:
    # accounts.User.__str__, from plain columns.
    name = f"{first} {last}".strip() or username
    return f"{name}, {credentials}" if credentials else name


def _stream(queryset):
    """Rows of a values_list query fetched in chunks (a server-side cursor on PostgreSQL), never all at once."""
    return queryset.iterator(chunk_size=HEARTBEAT_ROWS)


def _merge(rows, key):
    """For rows sorted by key, a function giving the list of rows of one key at a time, asked in sorted order."""
    rows = iter(rows)
    pending = [next(rows, None)]

    def of(wanted) -> list:
        found = []
        while pending[0] is not None and key(pending[0]) <= wanted:
            if key(pending[0]) == wanted:
                found.append(pending[0])
            pending[0] = next(rows, None)
        return found

    return of


def _scoped_sessions(filters: dict) -> QuerySet[TherapySession]:
    sessions = _sessions_in_range(filters)
    scope = sessions if sessions is not None else TherapySession.objects.all()
    return scope.filter(couple__in=Couple.objects.filter(pk__in=export_couples(filters).values("pk")))


def export_queries(filters: dict) -> dict[str, QuerySet]:
    """The four queries the CSV files are written from, as values_list querysets in the order they are read:
    sessions and their doses (merged into sessions.csv), couples and their care teams (couples.csv). The
    benchmark COPYs the same queries to measure the export against the database's own speed."""
    from django.db.models import Count, IntegerField, Value
    from django.db.models.functions import Coalesce, Concat

    from cases.models import Partner
    from dosing.models import Administration, Approval

    sessions = _scoped_sessions(filters)
    scope = _sessions_in_range(filters)
    scope = (scope if scope is not None else TherapySession.objects.all()).filter(couple=OuterRef("pk"))

    def count(of):
        return Coalesce(
            Subquery(of.order_by().values("couple").annotate(n=Count("pk")).values("n")),
            Value(0),
            output_field=IntegerField(),
        )

    def partner(label):
        return Subquery(
            Partner.objects.filter(couple=OuterRef("pk"), label=label)
            .annotate(full=Concat("first_name", Value(" "), "last_name"))
            .values("full")[:1]
        )

    matched = export_couples(filters).values("pk")
    return {
        "sessions": sessions.order_by("couple_id", "start", "id").values_list(
            "couple_id",
            "start",
            "id",
            "couple__case_number",
            "uuid",
            "phase",
            "status",
            "duration_minutes",
            "place",
            "room__name",
            "therapist__first_name",
            "therapist__last_name",
            "therapist__username",
            "therapist__credentials",
            "approval__approach",
            "note__status",
        ),
        "doses": Administration.objects.filter(session__in=sessions.values("pk"))
        .order_by("session__couple_id", "session__start", "session_id", "partner__label", "at", "id")
        .values_list(
            "session__couple_id",
            "session__start",
            "session_id",
            "mg",
            "partner__label",
            "partner__first_name",
            "partner__last_name",
        ),
        "couples": Couple.objects.filter(pk__in=matched)
        .order_by("pk")
        .annotate(
            sessions_total=count(scope),
            sessions_completed=count(scope.filter(status=SessionStatus.COMPLETED)),
            medicine_completed=count(scope.filter(status=SessionStatus.COMPLETED, phase=Phase.MEDICINE)),
            first_start=Subquery(scope.order_by("start", "id").values("start")[:1]),
            last_start=Subquery(scope.order_by("-start", "-id").values("start")[:1]),
            partner_a=partner("A"),
            partner_b=partner("B"),
            # The current approval as dosing.approvals.approval_current decides it (Approval.objects.current()).
            approach_current=Subquery(
                Approval.objects.current()
                .filter(couple=OuterRef("pk"))
                .order_by("-signed_at", "-id")
                .values("approach")[:1]
            ),
        )
        .values_list(
            "pk",
            "case_number",
            "uuid",
            "status",
            "prescriber__first_name",
            "prescriber__last_name",
            "prescriber__username",
            "prescriber__credentials",
            "partner_a",
            "partner_b",
            "approach_current",
            "sessions_total",
            "sessions_completed",
            "medicine_completed",
            "first_start",
            "last_start",
        ),
        "care_team": Couple.therapists.through.objects.filter(couple__in=matched)
        .order_by("couple_id", "user__last_name", "user__first_name", "user_id")
        .values_list("couple_id", "user__first_name", "user__last_name", "user__username", "user__credentials"),
    }


def _dose_cell(mg, label: str, first: str, last: str) -> str:
    # Each dose names its partner (#17): "Partner A (Alex Rivera): 45.00 mg"; "45.00; 27.00" said nothing of whom.
    return f"Partner {label} ({first} {last}): {mg} mg"


def _sessions_csv_rows(filters: dict, alive):
    """The sessions.csv rows (without the header): couples in id order, each couple's sessions by start."""
    from dosing.choices import Approach

    phases, statuses, places = dict(Phase.choices), dict(SessionStatus.choices), dict(Place.choices)
    approaches = dict(Approach.choices)
    tz = timezone.get_current_timezone()
    queries = export_queries(filters)
    doses = _merge(_stream(queries["doses"]), key=lambda r: r[:3])
    rows = _stream(queries["sessions"])
    for n, (
        couple_id,
        start,
        pk,
        case_number,
        uuid,
        phase,
        status,
        minutes,
        place,
        room,
        first,
        last,
        username,
        credentials,
        approach,
        note_status,
    ) in enumerate(rows, 1):
        if n % HEARTBEAT_ROWS == 0:
            alive()
        yield [
            case_number,
            uuid,
            phases.get(phase, phase),
            statuses.get(status, status),
            start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            minutes,
            room if place == Place.OFFICE and room else places.get(place, place),
            _user_label(first, last, username, credentials),
            approaches.get(approach, "") if approach else "",
            "; ".join(_dose_cell(*d[3:]) for d in doses((couple_id, start, pk))),
            "yes" if note_status == NoteStatus.SIGNED else "no",
        ]


def _couples_csv_rows(filters: dict, alive):
    """The couples.csv rows (without the header), in couple id order."""
    from cases.choices import CoupleStatus
    from dosing.choices import Approach

    statuses, approaches = dict(CoupleStatus.choices), dict(Approach.choices)
    tz = timezone.get_current_timezone()
    queries = export_queries(filters)
    therapists = _merge(_stream(queries["care_team"]), key=lambda r: r[0])
    couples = queries["couples"]
    for n, (
        pk,
        case_number,
        uuid,
        status,
        p_first,
        p_last,
        p_username,
        p_credentials,
        partner_a,
        partner_b,
        approach,
        total,
        completed,
        medicine,
        first,
        last,
    ) in enumerate(_stream(couples), 1):
        if n % HEARTBEAT_ROWS == 0:
            alive()
        yield [
            case_number,
            uuid,
            statuses.get(status, status),
            "; ".join(_user_label(*t[1:]) for t in therapists(pk)),
            _user_label(p_first, p_last, p_username, p_credentials) if p_username else "",
            partner_a or "",
            partner_b or "",
            approaches.get(approach, "") if approach else "",
            total,
            completed,
            medicine,
            first.astimezone(tz).strftime("%Y-%m-%d") if first else "",
            last.astimezone(tz).strftime("%Y-%m-%d") if last else "",
        ]


def export_csv_write(*, filters: dict, sessions_file, couples_file, alive=lambda: None) -> None:
    """Write an export's sessions.csv and couples.csv to these open text files, streamed from the database (no
    model objects, memory independent of the number of rows); every cell through kapcouples.spreadsheet.csv_cell.
    `alive` is called every HEARTBEAT_ROWS rows and may raise ExportLost to stop."""
    sessions_csv, couples_csv = csv.writer(sessions_file), csv.writer(couples_file)
    sessions_csv.writerow(SESSION_COLUMNS)
    for row in _sessions_csv_rows(filters, alive):
        sessions_csv.writerow(csv_row(row))
    couples_csv.writerow(COUPLE_COLUMNS)
    for row in _couples_csv_rows(filters, alive):
        couples_csv.writerow(csv_row(row))


def case_report_html(couple: Couple, *, clinic: str, filters: dict) -> str:
    """One couple's whole course for the case report PDF (the couple comes prefetched by _couple_chunks)."""
    from clinic.services import clinic_settings_get
    from integration.measures import couple_changes

    partners = list(couple.partners.all())
    cutoff = clinic_settings_get().pcl5_cutoff
    for partner in partners:
        for response in partner.export_scores:
            # Each score on paper with its band and its flags (PHQ-9 item 9), as the couple page shows them.
            definition = response.definition
            response.band = definition.band_for(response.score, cutoff=cutoff)
            response.flag_labels = definition.flags_for(response.answers) if response.suicide_risk else ()
    return render_to_string(
        "jobs/pdf/case_report.html",
        {
            "clinic": clinic,
            "couple": couple,
            "partners": partners,
            "sessions": couple.export_sessions,
            "approvals": couple.export_approvals,
            "generated_at": timezone.now(),
            "filters": filters,
            "changes": couple_changes(partners, [q for p in partners for q in p.export_scores]),
        },
    )


def export_build(job_id: int, *, worker: str) -> str | None:
    """Build an export's files if it is queued (or its builder died); returns the status it ended in."""
    from clinic.services import clinic_settings_get

    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.JOBS_STALE_SECONDS)
    claimed = (
        ExportJob.objects.filter(pk=job_id)
        .filter(Q(status=ExportStatus.QUEUED) | Q(status=ExportStatus.RUNNING, heartbeat_at__lt=stale))
        .update(status=ExportStatus.RUNNING, claimed_by=worker, heartbeat_at=now, progress_done=0)
    )
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
            with (
                open(folder / "sessions.csv", "w", newline="", encoding="utf-8") as sessions_file,
                open(folder / "couples.csv", "w", newline="", encoding="utf-8") as couples_file,
                zipfile.ZipFile(folder / "reports.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive,
            ):

                def alive():
                    # The heartbeat proves this worker is alive; losing the row means another took over.
                    if not mine.update(heartbeat_at=timezone.now()):
                        raise ExportLost

                export_csv_write(
                    filters=job.filters, sessions_file=sessions_file, couples_file=couples_file, alive=alive
                )
                alive()
                for chunk in _couple_chunks(job.filters):
                    for couple in chunk:
                        pdf, _refused = render_pdf(case_report_html(couple, clinic=clinic, filters=job.filters))
                        archive.writestr(f"{couple.case_number}.pdf", pdf)
                        done += 1
                        if not mine.update(progress_done=min(done, job.progress_total), heartbeat_at=timezone.now()):
                            return None
            total = done
            files = {}
            for field, name, local in (
                ("sessions_csv", ExportFile.SESSIONS_CSV, "sessions.csv"),
                ("couples_csv", ExportFile.COUPLES_CSV, "couples.csv"),
                ("reports_zip", ExportFile.REPORTS_ZIP, "reports.zip"),
            ):
                with open(folder / local, "rb") as handle:
                    getattr(job, field).save(name.value, File(handle), save=False)
                    files[field] = getattr(job, field).name
    except ExportLost:
        return None
    except Exception as exc:  # noqa: BLE001 - recorded on the job for the admin to see
        logger.exception("Export %s failed", job_id)
        mine.update(status=ExportStatus.FAILED, error=f"The export could not be built ({type(exc).__name__}).")
        return ExportStatus.FAILED
    finished = timezone.now()
    if not mine.update(
        status=ExportStatus.DONE,
        progress_done=total,
        progress_total=total,
        finished_at=finished,
        expires_at=finished + datetime.timedelta(hours=settings.EXPORT_EXPIRY_HOURS),
        **files,
    ):
        for name in files.values():
            job.sessions_csv.storage.delete(name)
        return None
    return ExportStatus.DONE


def exports_waiting() -> list[int]:
    """Exports queued with no worker on them, or whose worker stopped sending heartbeats."""
    stale = timezone.now() - datetime.timedelta(seconds=settings.JOBS_STALE_SECONDS)
    return list(
        ExportJob.objects.filter(
            Q(status=ExportStatus.QUEUED, created_at__lt=timezone.now() - datetime.timedelta(seconds=30))
            | Q(status=ExportStatus.RUNNING, heartbeat_at__lt=stale)
        ).values_list("pk", flat=True)[:5]
    )


def exports_expire() -> int:
    """Delete the files of exports past their expiry; the job row stays as the record that it existed."""
    expired = 0
    for job in ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=timezone.now()):
        for field in (job.sessions_csv, job.couples_csv, job.reports_zip):
            if field.name:
                field.storage.delete(field.name)
        expired += ExportJob.objects.filter(pk=job.pk, status=ExportStatus.DONE).update(
            status=ExportStatus.EXPIRED, sessions_csv="", couples_csv="", reports_zip=""
        )
    return expired
