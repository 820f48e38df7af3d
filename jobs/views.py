"""Pages of background work: PDF summary downloads, case report exports for clinic admins, resending a reminder,
and the SMS provider's delivery reports."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import role_required
from cases.forms import add_service_errors
from cases.policy import forbid_refused
from jobs import delivery, exports, replies, selectors
from jobs.choices import DocumentStatus, ExportFile, ExportStatus, ReplyAnswer
from jobs.forms import ExportFilterForm

EXPORT_FIELDS = {
    ExportFile.SESSIONS_CSV: "sessions_csv",
    ExportFile.COUPLES_CSV: "couples_csv",
    ExportFile.REPORTS_ZIP: "reports_zip",
}
CONTENT_TYPES = {
    ExportFile.SESSIONS_CSV: "text/csv; charset=utf-8",
    ExportFile.COUPLES_CSV: "text/csv; charset=utf-8",
    ExportFile.REPORTS_ZIP: "application/zip",
}


@login_required
@require_GET
def summary_download(request, summary_uuid):
    from audit.choices import AuditAction
    from audit.services import audit_record

    summary = selectors.summary_for_user(request.user, summary_uuid)
    if summary.status != DocumentStatus.READY or not summary.file:
        raise Http404("This summary is not ready.")
    try:
        handle = summary.file.open("rb")
    except FileNotFoundError:
        raise Http404("This summary's file is missing.") from None
    audit_record(
        action=AuditAction.DOWNLOAD,
        request=request,
        obj=summary,
        couple=summary.session.couple,
        summary=f"session summary {summary.uuid} v{summary.version} downloaded",
    )
    return FileResponse(handle, as_attachment=True, filename=summary.filename, content_type="application/pdf")


@role_required("is_clinic_admin")
@require_http_methods(["GET", "POST"])
def export_list(request):
    form = ExportFilterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = exports.export_start(by=request.user, filters=form.filters())
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            return redirect("jobs:export_detail", job_uuid=job.uuid)
    return render(
        request,
        "jobs/export_list.html",
        {"form": form, "jobs": selectors.recent_exports(), "expiry_hours": settings.EXPORT_EXPIRY_HOURS},
        status=400 if form.is_bound and form.errors else 200,
    )


def _files(job) -> list[dict]:
    if not job.is_downloadable:
        return []
    return [
        {
            "name": name.value,
            "label": name.label,
            "url": reverse("jobs:export_download", kwargs={"job_uuid": job.uuid, "name": name.value}),
        }
        for name in ExportFile
        if getattr(job, EXPORT_FIELDS[name]).name
    ]


@role_required("is_clinic_admin")
@require_GET
def export_detail(request, job_uuid):
    job = selectors.export_for_admin(request.user, job_uuid)
    return render(
        request,
        "jobs/export_detail.html",
        {"job": job, "files": _files(job), "open": job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)},
    )


@role_required("is_clinic_admin")
@require_GET
def export_status(request, job_uuid):
    """Polled by static/js/export_progress.js with X-Background-Poll: 1 (not user activity)."""
    job = selectors.export_for_admin(request.user, job_uuid)
    return JsonResponse(
        {
            "status": job.status,
            "label": job.get_status_display(),
            "done": job.progress_done,
            "total": job.progress_total,
            "percent": job.percent,
            "error": job.error,
            "files": _files(job),
        }
    )


@role_required("is_clinic_admin")
@require_GET
def export_download(request, job_uuid, name):
    job = selectors.export_for_admin(request.user, job_uuid)
    if name not in EXPORT_FIELDS or not job.is_downloadable:
        raise Http404("This export has expired or is not ready.")
    field = getattr(job, EXPORT_FIELDS[ExportFile(name)])
    if not field.name:
        raise Http404("This export has no such file.")
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404("This export's file is missing.") from None
    exports.export_download_recorded(by=request.user, job=job, name=name, request=request)
    filename = f"kap-export-{job.created_at:%Y%m%d-%H%M}-{name}"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[ExportFile(name)])


@login_required
@require_POST
def reminder_resend(request, session_uuid, reminder_id):
    reminder = selectors.reminder_for_user(request.user, session_uuid, reminder_id)
    try:
        delivery.reminder_resend(by=request.user, reminder=reminder)
    except ValidationError as exc:
        forbid_refused(exc)
        messages.error(request, f"Not resent: {' '.join(exc.messages)}")
    else:
        messages.success(
            request, f"The {reminder.lead_label} reminder to {reminder.recipient_label} goes out again now."
        )
    return redirect(reverse("sessions:session_detail", kwargs={"session_uuid": session_uuid}) + "#reminders-heading")


@csrf_exempt  # the provider cannot hold a CSRF token; its signature over the URL and fields is the guard
@require_POST
def sms_status(request):
    """Twilio's status callback: refused with 403 unless signed with the clinic's auth token."""
    url = delivery.status_callback_url()
    params = request.POST.dict()
    if not delivery.sms_signature_valid(
        url=url, params=params, signature=request.headers.get("X-Twilio-Signature", "")
    ):
        return HttpResponseForbidden("The request is not signed by the SMS provider.", content_type="text/plain")
    delivery.reminder_delivery_record(
        provider_id=params.get("MessageSid", ""),
        provider_status=params.get("MessageStatus", ""),
        error_code=params.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@require_http_methods(["GET", "POST"])
def session_reply(request, token):
    """A partner's link from a reminder: confirm or ask to cancel (no sign-in: the signed token is the guard)."""
    reminder = replies.reply_reminder(token)
    if reminder is None:
        raise Http404("This link is not valid or has expired.")
    problem, answered = replies.reply_problem(reminder), None
    if request.method == "POST" and not problem:
        try:
            answered = replies.session_reply_record(token=token, answer=request.POST.get("answer", ""))
        except ValidationError as exc:
            forbid_refused(exc)
            problem = " ".join(exc.messages)
    return render(
        request,
        "jobs/session_reply.html",
        {
            "reminder": reminder,
            "start": reminder.session.start,
            "problem": problem,
            "answered": answered,
            "answers": ReplyAnswer,
        },
        status=400 if request.method == "POST" and problem else 200,
    )
