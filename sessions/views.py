"""Session pages: entry points that check access, call one service or selector, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import forbid_unless
from accounts.submit_once import AlreadySubmitted, already_submitted, submit_once
from audit.choices import AuditAction
from audit.services import audit_record
from cases import policy
from cases.policy import couple_for_user, forbid_refused
from pages import calendar as pages_calendar
from pages import selectors as pages
from sessions import feeds, selectors, services, telehealth
from sessions.choices import NOTE_FIELDS
from sessions.forms import (
    AcceptSuggestionForm,
    AmendmentForm,
    BookingForm,
    CalendarFilterForm,
    NoteForm,
    ReasonForm,
    RescheduleForm,
    add_service_errors,
)
from sessions.models import ClinicianVideoLink, SessionNote, TherapySession


def _report(request, change: services.SessionChange) -> None:
    for warning in change.warnings:
        messages.warning(request, warning)
    for line in change.out_of_order:
        messages.warning(request, line)


def _errors_message(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


# -- calendar -----------------------------------------------------------------------------------------


def _calendar(request, *, days: int, clinic_wide: bool, view_name: str):
    form = CalendarFilterForm(request.GET or None, clinic_wide=clinic_wide)
    filters = form.cleaned_data if form.is_valid() else {}
    page = pages_calendar.calendar_page(
        user=request.user,
        day=filters.get("date"),
        days=days,
        clinic_wide=clinic_wide,
        therapist_id=filters["therapist"].pk if filters.get("therapist") else None,
        room_id=filters["room"].pk if filters.get("room") else None,
    )
    # The calendar names couples and their sessions: a read of clinical data like a session's page.
    audit_record(
        action=AuditAction.READ,
        request=request,
        object_type="clinical_sessions.therapysession",
        summary=f"calendar {'week' if days == 7 else 'day'} of {page.first.isoformat()} viewed"
        + (" (clinic-wide)" if clinic_wide else ""),
    )
    query = request.GET.copy()
    query.pop("date", None)
    return render(
        request,
        "sessions/calendar.html",
        {"page": page, "form": form, "query": query.urlencode(), "view_name": view_name},
    )


@login_required
def calendar_week(request):
    return _calendar(request, days=7, clinic_wide=False, view_name="sessions:calendar_week")


@login_required
def calendar_day(request):
    return _calendar(request, days=1, clinic_wide=False, view_name="sessions:calendar_day")


@login_required
def calendar_clinic(request):
    if not policy.may_administer_clinic(request.user):
        raise PermissionDenied
    return _calendar(request, days=7, clinic_wide=True, view_name="sessions:calendar_clinic")


# -- booking and changing sessions --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request):
    if not policy.may_book_sessions(request.user):
        raise PermissionDenied
    initial = {}
    for key in ("couple", "phase"):
        if request.GET.get(key):
            initial[key] = request.GET[key]
    if "couple" in initial:
        couple = selectors.bookable_couples(request.user).filter(uuid=initial["couple"]).first()
        initial["couple"] = couple.pk if couple else None
    if request.GET.get("start"):
        initial["start"] = request.GET["start"]
    if request.method == "POST" and (repeat := already_submitted(request.user, request.POST.get("submit_token"))):
        messages.info(request, "This form was sent twice; the session was booked once, the first time.")
        return redirect(repeat.url or "sessions:calendar_week")
    form = BookingForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["already_took_place"]:

                def action():
                    return services.session_record_past(
                        by=request.user,
                        couple=data["couple"],
                        therapist=form.chosen_therapist(),
                        phase=data["phase"],
                        start=data["start"],
                        place=data["place"],
                        room=data["room"],
                        duration_minutes=form.duration_minutes(),
                        outcome=data["outcome"],
                        reason=data["reason"],
                    )
            else:

                def action():
                    return services.session_schedule(
                        by=request.user,
                        couple=data["couple"],
                        therapist=form.chosen_therapist(),
                        phase=data["phase"],
                        start=data["start"],
                        place=data["place"],
                        room=data["room"],
                        duration_minutes=form.duration_minutes(),
                        video_url=data["video_url"],
                    )

            change = submit_once(
                user=request.user,
                token=data.get("submit_token"),
                purpose="session_book",
                action=action,
                result_url=lambda change: reverse(
                    "sessions:session_detail", kwargs={"session_uuid": change.session.uuid}
                ),
            )
        except AlreadySubmitted as done:
            messages.info(request, "This form was sent twice; the session was booked once, the first time.")
            return redirect(done.url or "sessions:calendar_week")
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            verb = "Entered" if data["already_took_place"] else "Booked"
            messages.success(request, f"{verb}: {change.session}.")
            _report(request, change)
            return redirect("sessions:session_detail", session_uuid=change.session.uuid)
    return render(
        request,
        "sessions/session_form.html",
        {"form": form, "title": "Book a session"},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def session_detail(request, session_uuid):
    session = selectors.session_for_user(request.user, session_uuid)
    page = pages.session_page(user=request.user, session=session, note_phases=NOTE_FIELDS)
    return render(request, "sessions/session_detail.html", {"page": page, "amend_form": AmendmentForm()})


@login_required
@require_http_methods(["GET", "POST"])
def session_reschedule(request, session_uuid):
    session = selectors.session_for_user(request.user, session_uuid)
    forbid_unless(policy.may_manage_sessions(request.user, session.couple))
    local_end = timezone.localtime(session.end)
    form = RescheduleForm(
        request.POST or None,
        initial={
            "start": timezone.localtime(session.start),
            "end": local_end.time(),
            "place": session.place,
            "room": session.room_id,
            "video_url": session.video_url,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.session_reschedule(
                by=request.user,
                session=session,
                start=data["start"],
                place=data["place"],
                room=data["room"],
                duration_minutes=form.duration_minutes(),
                video_url=data["video_url"],
            )
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Moved: {change.session}.")
            _report(request, change)
            return redirect("sessions:session_detail", session_uuid=session.uuid)
    return render(
        request,
        "sessions/session_form.html",
        {
            "form": form,
            "title": f"Move the {session.title.lower()}",
            "session": session,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _status_change(request, session_uuid, verb, done: str, *, action_name: str = ""):
    session = selectors.session_for_user(request.user, session_uuid)
    form = ReasonForm(request.POST, prefix="cancel")
    form.is_valid()
    # A medicine session ends the way its state machine offers: an ending that asks for a reason and a
    # confirmation is shown on a page of its own first, and done only when that page is sent.
    action = pages.session_action(user=request.user, session=session, name=action_name) if action_name else None
    if action is not None and action.allowed and action.confirm:
        if action.reason_field and not form.cleaned_data.get("reason", "").strip():
            form.add_error("reason", "Say why: the prescriber and the controlled-substance log need the reason.")
        if form.errors or request.POST.get("confirm") != "yes":
            return render(
                request,
                "sessions/session_confirm.html",
                {"session": session, "couple": session.couple, "action": action, "form": form},
                status=400 if form.errors else 200,
            )
    try:
        change = verb(session, form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        forbid_refused(exc)
        messages.error(request, _errors_message(exc))
    else:
        messages.success(request, done)
        if isinstance(change, services.SessionChange):
            _report(request, change)
    return redirect("sessions:session_detail", session_uuid=session.uuid)


@login_required
@require_POST
def session_cancel(request, session_uuid):
    return _status_change(
        request,
        session_uuid,
        lambda s, r: services.session_cancel(by=request.user, session=s, reason=r),
        "Session cancelled.",
        action_name="cancel",
    )


@login_required
@require_POST
def session_no_show(request, session_uuid):
    return _status_change(
        request,
        session_uuid,
        lambda s, r: services.session_mark_no_show(by=request.user, session=s, note=r),
        "Recorded as a no-show.",
        action_name="no_show",
    )


@login_required
@require_POST
def session_complete(request, session_uuid):
    return _status_change(
        request, session_uuid, lambda s, r: services.session_complete(by=request.user, session=s), "Session completed."
    )


@login_required
@require_POST
def suggestion_accept(request, couple_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    forbid_unless(policy.may_manage_sessions(request.user, couple))
    form = AcceptSuggestionForm(request.POST)
    target = reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid})
    if not form.is_valid():
        messages.error(request, "That suggestion could not be read; book the session from the calendar.")
        return redirect(target)
    anchor = TherapySession.objects.filter(couple=couple, uuid=form.cleaned_data["anchor"]).first()
    if anchor is None:
        raise Http404("No such session.")
    therapist = request.user if request.user.is_therapist else anchor.therapist
    try:
        change = services.session_schedule(
            by=request.user,
            couple=couple,
            therapist=therapist,
            phase=form.cleaned_data["phase"],
            start=form.cleaned_data["start"],
            place=anchor.place,
            room=anchor.room,
        )
    except ValidationError as exc:
        forbid_refused(exc)
        messages.error(request, f"Not booked: {_errors_message(exc)}")
    else:
        messages.success(request, f"Booked: {change.session}.")
        _report(request, change)
    return redirect(target)


# -- notes --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request, session_uuid):
    session = selectors.session_for_user(request.user, session_uuid)
    if session.phase not in NOTE_FIELDS:
        raise Http404("A medicine session is documented in its dosing record.")
    forbid_unless(policy.may_write_note(request.user, session))
    note = SessionNote.objects.filter(session=session).first()
    if note is not None and note.is_signed:
        messages.info(request, "This note is signed and locked; add an amendment instead.")
        return redirect("sessions:session_detail", session_uuid=session.uuid)
    partners = {p.label: p.first_name for p in session.couple.partners.all()}
    form = NoteForm(
        request.POST or None, phase=session.phase, partners=partners, initial=note.content if note else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.note_save_draft(by=request.user, session=session, content=form.cleaned_data)
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, "Draft note saved.")
            return redirect("sessions:session_detail", session_uuid=session.uuid)
    return render(
        request,
        "sessions/note_form.html",
        {"form": form, "session": session, "note": note},
        status=400 if form.is_bound and form.errors else 200,
    )


def _note_for(request, session_uuid) -> tuple[TherapySession, SessionNote]:
    session = selectors.session_for_user(request.user, session_uuid)
    note = SessionNote.objects.filter(session=session).first()
    if note is None:
        raise Http404("This session has no note yet.")
    note.session = session
    return session, note


@login_required
@require_POST
def note_sign(request, session_uuid):
    session, note = _note_for(request, session_uuid)
    forbid_unless(policy.may_write_note(request.user, session))
    try:
        services.note_sign(by=request.user, note=note)
    except ValidationError as exc:
        forbid_refused(exc)
        messages.error(request, f"Not signed: {_errors_message(exc)}")
    else:
        messages.success(request, "Note signed and locked.")
    return redirect("sessions:session_detail", session_uuid=session.uuid)


@login_required
@require_POST
def note_amend(request, session_uuid):
    session, note = _note_for(request, session_uuid)
    forbid_unless(policy.may_work_as_therapist(request.user, session.couple))
    form = AmendmentForm(request.POST)
    if form.is_valid():
        try:
            services.note_amend(by=request.user, note=note, text=form.cleaned_data["text"])
        except ValidationError as exc:
            forbid_refused(exc)
            messages.error(request, f"Not added: {_errors_message(exc)}")
        else:
            messages.success(request, "Amendment added under the note.")
    else:
        messages.error(request, "Write the correction or addition.")
    return redirect("sessions:session_detail", session_uuid=session.uuid)


# -- calendar feeds -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feed_settings(request):
    """The clinician's private feed: make a new address (the old one stops), or stop it."""
    if not feeds.feed_may_have(request.user):
        raise PermissionDenied
    new_url, error, video_error = "", "", ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "regenerate":
            try:
                _, token = feeds.feed_regenerate(by=request.user, show_first_names=request.POST.get("names") == "1")
            except ValidationError as exc:
                forbid_refused(exc)
                error = " ".join(exc.messages)
            else:
                new_url = feeds.feed_url(token)  # shown once, on this answer only: it is not stored
        elif action == "video":
            try:
                telehealth.clinician_video_link_set(by=request.user, url=request.POST.get("url", ""))
            except ValidationError as exc:
                forbid_refused(exc)
                video_error = " ".join(exc.messages)
            else:
                messages.success(request, "Your standing video link is saved.")
                return redirect("sessions:calendar_feed_settings")
        elif action == "revoke":
            feeds.feed_revoke(by=request.user)
            messages.success(request, "Your calendar feed is stopped: calendar apps subscribed to it get nothing more.")
            return redirect("sessions:calendar_feed_settings")
        else:
            error = "Choose to make a new address or to stop the feed."
    link = ClinicianVideoLink.objects.filter(user=request.user).first()
    return render(
        request,
        "sessions/calendar_feed.html",
        {
            "feed": feeds.feed_active(user=request.user),
            "new_url": new_url,
            "error": error,
            "video_error": video_error,
            "video_url": request.POST.get("url", "") if video_error else (link.url if link else ""),
        },
        status=400 if error or video_error else 200,
    )


@require_GET
def calendar_feed(request, token):
    """The feed itself, for calendar apps (no sign-in: the token is the guard); 404 once revoked."""
    feed = feeds.feed_for_token(token)
    if feed is None:
        raise Http404("No such calendar feed.")
    response = HttpResponse(feeds.feed_render(feed), content_type="text/calendar; charset=utf-8")
    feeds.feed_read_record(feed, request=request)
    response["Content-Disposition"] = 'inline; filename="kap-sessions.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
