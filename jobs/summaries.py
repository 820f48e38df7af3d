"""PDF session summaries: asked for when a note is signed or amended (or a medicine session completed), built by a
worker, stored in MEDIA, downloaded by those who may see the couple."""

import datetime
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone

from jobs.choices import DocumentStatus, SummaryTrigger
from jobs.models import SessionSummary
from jobs.pdf import render_pdf
from sessions.choices import NoteStatus, Phase, SessionStatus
from sessions.models import NoteAmendment, SessionNote, TherapySession

logger = logging.getLogger("jobs.summaries")

MAX_ATTEMPTS = 3


def summary_request(*, session_id: int, trigger: str) -> SessionSummary | None:
    """Record that the session needs a new summary version; asking twice for the same change finds the same row."""
    session = TherapySession.objects.filter(pk=session_id).first()
    if session is None:
        return None
    amendments = NoteAmendment.objects.filter(note__session_id=session_id).count()
    for _ in range(3):
        existing = SessionSummary.objects.filter(
            session_id=session_id, trigger=trigger, amendment_count=amendments
        ).first()
        if existing is not None:
            return existing
        version = (SessionSummary.objects.filter(session_id=session_id).aggregate(v=Max("version"))["v"] or 0) + 1
        try:
            with transaction.atomic():
                return SessionSummary.objects.create(
                    session_id=session_id, version=version, trigger=trigger, amendment_count=amendments
                )
        except IntegrityError:
            continue  # another worker asked at the same moment: look again
    return SessionSummary.objects.filter(session_id=session_id, trigger=trigger, amendment_count=amendments).first()


def summaries_request_missing() -> list[int]:
    """Summaries that should exist and do not (a request lost to a crash): signed notes with fewer versions than
    changes, and completed medicine sessions without one. Returns the ids of rows it made."""
    made = []
    covered = SessionSummary.objects.values("session_id")
    for note in SessionNote.objects.filter(status=NoteStatus.SIGNED).exclude(session_id__in=covered).only("session_id"):
        made.append(summary_request(session_id=note.session_id, trigger=SummaryTrigger.SIGNED))
    for session_id in (
        TherapySession.objects.filter(phase=Phase.MEDICINE, status=SessionStatus.COMPLETED)
        .exclude(pk__in=covered)
        .values_list("pk", flat=True)
    ):
        made.append(summary_request(session_id=session_id, trigger=SummaryTrigger.COMPLETED))
    latest = SessionSummary.objects.values("session_id").annotate(n=Max("amendment_count"))
    latest_by_session = {row["session_id"]: row["n"] for row in latest}

    for row in NoteAmendment.objects.values("note__session_id").annotate(n=Count("id")):
        session_id = row["note__session_id"]
        if latest_by_session.get(session_id, 0) < row["n"]:
            made.append(summary_request(session_id=session_id, trigger=SummaryTrigger.AMENDED))
    return [s.pk for s in made if s is not None]


def summary_context(session: TherapySession) -> dict:
    """Everything a session summary shows, read in one place for the template."""
    from clinic.services import clinic_settings_get

    couple = session.couple
    note = SessionNote.objects.filter(session=session).select_related("signed_by").first()
    context = {
        "clinic": clinic_settings_get().clinic_name,
        "session": session,
        "couple": couple,
        "partners": list(couple.partners.order_by("label")),
        "note": note,
        "sections": note.sections() if note else [],
        "amendments": list(note.amendments.select_related("author")) if note else [],
        "generated_at": timezone.now(),
        "medicine": None,
    }
    if session.phase == Phase.MEDICINE:
        from dosing.selectors import medicine_record

        record = medicine_record(session=session)
        approval = session.approval
        context["medicine"] = record
        context["approval"] = approval
        context["approved_doses"] = list(approval.doses.select_related("partner")) if approval else []
    return context


def summary_html(session: TherapySession, *, version: int) -> str:
    return render_to_string("jobs/pdf/session_summary.html", {**summary_context(session), "version": version})


def summary_render(summary_id: int) -> str | None:
    """Build one summary's PDF if it is waiting (or its builder died); returns the status it ended in."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.JOBS_STALE_SECONDS)
    claimed = (
        SessionSummary.objects.filter(pk=summary_id)
        .filter(Q(status=DocumentStatus.PENDING) | Q(status=DocumentStatus.RENDERING, claimed_at__lt=stale))
        .update(status=DocumentStatus.RENDERING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    summary = SessionSummary.objects.select_related("session__couple", "session__therapist").get(pk=summary_id)
    mine = SessionSummary.objects.filter(pk=summary_id, status=DocumentStatus.RENDERING, claimed_at=now)
    try:
        pdf, _refused = render_pdf(summary_html(summary.session, version=summary.version))
    except Exception as exc:  # noqa: BLE001 - a document that cannot be built is recorded, not lost
        logger.exception("Summary %s could not be built", summary_id)
        give_up = summary.attempts >= MAX_ATTEMPTS
        mine.update(
            status=DocumentStatus.FAILED if give_up else DocumentStatus.PENDING,
            error=f"The PDF could not be built ({type(exc).__name__}).",
        )
        return DocumentStatus.FAILED if give_up else DocumentStatus.PENDING
    # Written outside any transaction: the file first, then the row that points at it.
    summary.file.save(summary.filename, ContentFile(pdf), save=False)
    if not mine.update(status=DocumentStatus.READY, file=summary.file.name, rendered_at=timezone.now(), error=""):
        summary.file.storage.delete(summary.file.name)  # another worker took over meanwhile; keep its file
        return None
    return DocumentStatus.READY


# Summaries one sweep builds: a backlog is worked through a batch a minute, newest first (the note just signed
# is the one a clinician is waiting for), so a sweep never holds the documents worker for long.
SWEEP_BATCH = 10


def summaries_render_waiting() -> int:
    """Build the newest summaries left waiting (a nudge lost while Redis was down, a worker that died)."""
    stale = timezone.now() - datetime.timedelta(seconds=settings.JOBS_STALE_SECONDS)
    ids = list(
        SessionSummary.objects.filter(
            Q(status=DocumentStatus.PENDING) | Q(status=DocumentStatus.RENDERING, claimed_at__lt=stale)
        )
        .order_by("-pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for summary_id in ids:
        summary_render(summary_id)
    return len(ids)
