"""Dosing pages: entry points that check access, call one service or selector, and render."""

import csv
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import forbid_unless, role_required
from audit.choices import AuditAction
from audit.services import audit_record
from cases import policy
from cases.forms import add_service_errors, split_partner_errors
from cases.policy import couple_for_user, forbid_refused
from dosing import approvals, gate, holds, lifecycle, record, requests, selectors
from dosing.choices import APPROACHES, ROUTE_GUIDANCE, Route
from dosing.discharge import discharge_record
from dosing.forms import (
    AdministrationForm,
    ApprovalForm,
    CountForm,
    DischargeForm,
    DoseForm,
    PlanForm,
    PreDoseForm,
    ReasonForm,
    RequestForm,
    SideEffectForm,
    StockReceiveForm,
    VitalsForm,
    WasteForm,
)
from dosing.models import Approval, DosingRequest, Notice, PreDoseCheck, StockEntry, VitalReading
from dosing.notices import notice_dismiss_for
from dosing.stock import inventory_count, stock_receive, stock_waste
from kapcouples.spreadsheet import csv_row
from sessions.selectors import session_for_user


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


@login_required
def approaches(request):
    return render(
        request,
        "dosing/approaches.html",
        {
            "approaches": APPROACHES.values(),
            "routes": [(label, ROUTE_GUIDANCE[value]) for value, label in Route.choices],
        },
    )


@login_required
def couple_dosing(request, couple_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    context = selectors.couple_dosing(couple=couple)
    context.update(
        {
            "couple": couple,
            "request_form": RequestForm(couple=couple),
            "approaches": APPROACHES.values(),
            "may_decide_dosing": bool(policy.may_decide_dosing(request.user, couple)),
            "may_request_dosing": bool(policy.may_request_dosing(request.user, couple)),
        }
    )
    return render(request, "dosing/couple_dosing.html", context)


@login_required
@require_POST
def request_create(request, couple_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    forbid_unless(policy.may_request_dosing(request.user, couple))
    form = RequestForm(request.POST, couple=couple)
    if form.is_valid():
        try:
            requests.dosing_request_create(
                by=request.user,
                couple=couple,
                approach=form.cleaned_data["approach"],
                rationale=form.cleaned_data["rationale"],
                solo_partner=form.cleaned_data["solo_partner"],
            )
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, "Request sent to the prescriber.")
            return redirect("dosing:couple_dosing", couple_uuid=couple.uuid)
    context = selectors.couple_dosing(couple=couple)
    context.update(
        {"couple": couple, "request_form": form, "approaches": APPROACHES.values(), "may_request_dosing": True}
    )
    return render(request, "dosing/couple_dosing.html", context, status=400)


def _request_for(couple, request_uuid) -> DosingRequest:
    return get_object_or_404(DosingRequest, couple=couple, uuid=request_uuid)


@login_required
@require_POST
def request_withdraw(request, couple_uuid, request_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    forbid_unless(policy.may_withdraw_request(request.user, couple))
    try:
        requests.dosing_request_withdraw(by=request.user, request=_request_for(couple, request_uuid))
    except ValidationError as exc:
        forbid_refused(exc)
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Request withdrawn.")
    return redirect("dosing:couple_dosing", couple_uuid=couple.uuid)


@login_required
@require_http_methods(["GET", "POST"])
def request_decline(request, couple_uuid, request_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    dosing_request = _request_for(couple, request_uuid)
    forbid_unless(policy.may_decide_dosing(request.user, couple))
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            requests.dosing_request_decline(by=request.user, request=dosing_request, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, "Request declined; the therapist has been told.")
            return redirect("dosing:couple_dosing", couple_uuid=couple.uuid)
    return render(
        request,
        "dosing/reason_form.html",
        {
            "form": form,
            "couple": couple,
            "title": f"Decline {dosing_request.info.name.lower()}",
            "button": "Decline the request",
        },
        status=_status(form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def approval_new(request, couple_uuid):
    """The prescriber's review page: both partners' screening on one page, and the approval to sign."""
    couple = couple_for_user(request.user, couple_uuid)
    forbid_unless(policy.may_decide_dosing(request.user, couple))
    context = selectors.couple_dosing(couple=couple)
    pending = context["pending"]
    partners = list(
        couple.partners.select_related("screening").prefetch_related("screening__contraindications").order_by("label")
    )
    data = request.POST if request.method == "POST" else None
    initial = {"approach": pending.approach} if pending else {}
    if context["current"] and not pending:
        initial = {"approach": context["current"].approach, "conditions": context["current"].conditions}
    form = ApprovalForm(data, initial=initial)
    dose_forms = []
    for partner in partners:
        dose_initial = {"weight_kg": partner.screening.weight_kg}
        if pending and (pending.info.both_dose or pending.solo_partner_id == partner.pk):
            dose_initial["takes_ketamine"] = True
        dose_forms.append(
            DoseForm(data, prefix=f"partner_{partner.label.lower()}", partner=partner, initial=dose_initial)
        )
    if data is not None:
        valid = [form.is_valid()] + [f.is_valid() for f in dose_forms]
        if all(valid):
            try:
                approval = approvals.approval_sign(
                    by=request.user,
                    password=form.cleaned_data["password"],
                    couple=couple,
                    approach=form.cleaned_data["approach"],
                    valid_from=form.cleaned_data["valid_from"],
                    valid_until=form.cleaned_data["valid_until"],
                    sessions_covered=form.cleaned_data["sessions_covered"],
                    medicine_sessions_past_maximum=form.cleaned_data["medicine_sessions_past_maximum"],
                    weight_difference_confirmed=form.cleaned_data["weight_difference_confirmed"],
                    conditions=form.cleaned_data["conditions"],
                    doses=[d for d in (f.dose() for f in dose_forms) if d],
                    request=pending,
                )
            except ValidationError as exc:
                forbid_refused(exc)
                # A dose's weight is refused next to that partner's weight field (partner_a-weight_kg).
                split_partner_errors(exc, form, {f.prefix: f for f in dose_forms})
            else:
                messages.success(request, f"{approval.info.name} approved and signed.")
                return redirect("dosing:couple_dosing", couple_uuid=couple.uuid)
    latest = selectors.latest_scores(couple)
    for partner in partners:
        partner.latest_scores = [
            latest[(partner.pk, code)] for code in ("PHQ9", "GAD7", "PCL5", "CSI4") if (partner.pk, code) in latest
        ]
        partner.blockers = gate.partner_dosing_blockers(partner)
        partner.contraindications_present = any(f.present for f in partner.screening.contraindications.all())
    context.update(
        {
            "couple": couple,
            "form": form,
            "dose_forms": dose_forms,
            "partners": partners,
            "approaches": APPROACHES.values(),
        }
    )
    # Reaching here after a POST means it was refused; the page shows why.
    return render(request, "dosing/approval_form.html", context, status=400 if data is not None else 200)


@login_required
@require_http_methods(["GET", "POST"])
def approval_revoke(request, couple_uuid, approval_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    approval = get_object_or_404(Approval, couple=couple, uuid=approval_uuid)
    forbid_unless(policy.may_decide_dosing(request.user, couple))
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            blocked = approvals.approval_revoke(by=request.user, approval=approval, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.warning(
                request,
                f"Approval revoked. Medicine sessions now blocked: "
                f"{'; '.join(map(str, blocked)) or 'none on the calendar'}.",
            )
            return redirect("dosing:couple_dosing", couple_uuid=couple.uuid)
    return render(
        request,
        "dosing/reason_form.html",
        {
            "form": form,
            "couple": couple,
            "title": f"Revoke the {approval.info.name.lower()} approval",
            "intro": "Revocation takes effect at once: medicine sessions on the calendar are blocked and the "
            "therapists are told.",
            "button": "Revoke",
        },
        status=_status(form),
    )


@login_required
@require_POST
def notice_dismiss(request, notice_id):
    notice_dismiss_for(by=request.user, notice=get_object_or_404(Notice, pk=notice_id, recipient=request.user))
    target = request.POST.get("next") or ""
    # Only a path on this site: anything else (another host, a script, a word that is no URL) goes home.
    if not (
        target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        target = "accounts:home"
    return redirect(target)


# -- the medicine session record ------------------------------------------------------------------------


def _medicine_session(request, session_uuid):
    session = session_for_user(request.user, session_uuid)
    from sessions.choices import Phase

    if session.phase != Phase.MEDICINE:
        from django.http import Http404

        raise Http404("Only medicine sessions have a dosing record.")
    return session


def _partner(session, partner_uuid):
    return get_object_or_404(session.couple.partners.select_related("screening"), uuid=partner_uuid)


def _record_page(request, session, *, forms=None, status=200):
    context = selectors.medicine_record(session=session, user=request.user)

    override = policy.may_override_hold(request.user, session)
    forms = forms or {}
    plan = context["plan"]
    context.update(
        {
            "session": session,
            "couple": session.couple,
            "plan_form": forms.get("plan")
            or PlanForm(
                initial={
                    "setting": plan.setting if plan else "office",
                    "support_person": plan.support_person if plan else "",
                    "agenda": plan.agenda if plan else "",
                }
            ),
            "may_override_hold": bool(override),
            "override_refusal": override.reason,
        }
    )
    for row in context["records"]:
        key = str(row.partner.uuid)
        row.predose_form = forms.get(("predose", key)) or PreDoseForm(
            initial=_check_initial(row.check), prefix=f"predose-{row.partner.label}"
        )
        row.dose_form = forms.get(("dose", key)) or AdministrationForm(prefix=f"dose-{row.partner.label}")
        row.vitals_form = forms.get(("vitals", key)) or VitalsForm(prefix=f"vitals-{row.partner.label}")
        row.effect_form = forms.get(("effect", key)) or SideEffectForm(prefix=f"effect-{row.partner.label}")
        row.discharge_form = forms.get(("discharge", key)) or DischargeForm(prefix=f"discharge-{row.partner.label}")
        row.override_form = forms.get(("override", key)) or ReasonForm(prefix=f"override-{row.partner.label}")
        row.reading_override_form = forms.get(("reading_override", key)) or ReasonForm(
            prefix=f"reading-override-{row.partner.label}"
        )
    # A refused entry whose form is not on the page in this state (a crafted POST, a session that moved on
    # meanwhile) says why at the top: the reason reaches the person who sent it, and is said once.
    shown = _forms_shown(context, may_override=bool(override))
    context["refused"] = [
        str(message)
        for key, form in forms.items()
        if form.is_bound and form.errors and not shown.get(key, False)
        for errors in form.errors.values()
        for message in errors
    ]
    return render(request, "dosing/medicine_record.html", context, status=status)


def _forms_shown(context, *, may_override: bool) -> dict:
    """Which bedside forms the record page shows, per (form, partner); the template asks the same flags."""
    can, stopped = context["can"], bool(context["dosing_stopped"])
    shown = {"plan": can["plan"]}
    for row in context["records"]:
        key, approved = str(row.partner.uuid), row.approved is not None
        hold = row.check is not None and row.check.level == "hold" and not row.check.override_by_id
        row.show = {
            "predose": approved and not row.doses and can["predose"],
            "override": approved and hold and may_override,
            "dose": approved and can["dose"] and not row.discharge and not stopped,
            "vitals": can["vitals"] and not row.discharge,
            "effect": can["side_effect"],
            "discharge": approved and bool(row.doses) and can["discharge"] and not row.discharge,
            "reading_override": row.hold_reading is not None and can["override"] and may_override,
        }
        shown.update({(name, key): visible for name, visible in row.show.items()})
    return shown


def _check_initial(check: PreDoseCheck | None) -> dict:
    if check is None:
        return {}
    return {
        f: getattr(check, f)
        for f in (
            "fasting_confirmed",
            "ride_home_arranged",
            "no_new_contraindication",
            "sober_partner_present",
            "systolic",
            "diastolic",
            "heart_rate",
            "spo2",
        )
    }


@login_required
def medicine_record(request, session_uuid):
    return _record_page(request, _medicine_session(request, session_uuid))


def _handle(request, session, key, form, action, success: str):
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(
                reverse("dosing:medicine_record", kwargs={"session_uuid": session.uuid})
                + "#"
                + (key[1] if isinstance(key, tuple) else key)
            )
    return _record_page(request, session, forms={key: form}, status=400)


def _stage_change(request, session_uuid, verb, done: str):
    """A POST that moves the medicine session along; a refusal is shown on the record page with its reasons."""
    session = _medicine_session(request, session_uuid)
    try:
        verb(session)
    except ValidationError as exc:
        forbid_refused(exc)
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("dosing:medicine_record", session_uuid=session.uuid)


@login_required
@require_POST
def medicine_start(request, session_uuid):
    return _stage_change(
        request,
        session_uuid,
        lambda s: lifecycle.medicine_session_start(by=request.user, session=s),
        "Session started.",
    )


@login_required
@require_POST
def medicine_observe(request, session_uuid):
    return _stage_change(
        request,
        session_uuid,
        lambda s: lifecycle.medicine_session_observe(by=request.user, session=s),
        "Dosing done: the session is in observation.",
    )


@login_required
@require_POST
def medicine_plan(request, session_uuid):
    session = _medicine_session(request, session_uuid)
    forbid_unless(policy.may_document(request.user, session))
    form = PlanForm(request.POST)
    return _handle(
        request,
        session,
        "plan",
        form,
        lambda d: record.medicine_plan_save(
            by=request.user,
            session=session,
            setting=d["setting"],
            support_person=d["support_person"],
            agenda=d["agenda"],
        ),
        "Session plan saved.",
    )


def _partner_post(key: str, form_class, may=policy.may_document):
    """A POST that records one thing for one partner of a medicine session. The view resolves the session (404
    outside the caseload) and the partner (404 outside the couple), refuses someone whose role may not do it (403
    with the rule book's reason, whatever the form holds), binds the form under the partner's prefix and hands the
    record function the cleaned data; the function returns (service call, success message)."""

    def decorator(describe):
        @login_required
        @require_POST
        @wraps(describe)
        def view(request, session_uuid, partner_uuid):
            session = _medicine_session(request, session_uuid)
            partner = _partner(session, partner_uuid)
            forbid_unless(may(request.user, session))
            form = form_class(request.POST, prefix=f"{key}-{partner.label}")
            action, success = describe(request, session, partner)
            return _handle(request, session, (key, str(partner.uuid)), form, action, success)

        return view

    return decorator


@_partner_post("predose", PreDoseForm)
def predose(request, session, partner):
    return (
        lambda d: record.predose_record(by=request.user, session=session, partner=partner, values=d),
        f"Pre-dose checks of {partner.first_name} saved.",
    )


@_partner_post("override", ReasonForm, may=policy.may_override_hold)
def predose_override(request, session, partner):
    check = get_object_or_404(PreDoseCheck, session=session, partner=partner)
    return (lambda d: record.predose_override(by=request.user, check=check, reason=d["reason"]), "Override recorded.")


@login_required
@require_POST
def reading_override(request, session_uuid, partner_uuid, reading_id):
    """The couple's prescriber overrides one hold-level reading of this partner, with a reason."""
    session = _medicine_session(request, session_uuid)
    partner = _partner(session, partner_uuid)
    reading = get_object_or_404(VitalReading, session=session, partner=partner, pk=reading_id)
    form = ReasonForm(request.POST, prefix=f"reading-override-{partner.label}")
    return _handle(
        request,
        session,
        ("reading_override", str(partner.uuid)),
        form,
        lambda d: holds.hold_override(by=request.user, reading=reading, reason=d["reason"]),
        f"Override of {partner.first_name}'s reading at {timezone.localtime(reading.at):%H:%M} recorded.",
    )


@_partner_post("dose", AdministrationForm)
def dose(request, session, partner):
    return (
        lambda d: record.dose_record(by=request.user, session=session, partner=partner, **d),
        f"Dose for {partner.first_name} recorded.",
    )


@_partner_post("vitals", VitalsForm)
def vitals(request, session, partner):
    return (
        lambda d: record.vitals_record(by=request.user, session=session, partner=partner, **d),
        f"Vitals of {partner.first_name} recorded.",
    )


@_partner_post("effect", SideEffectForm)
def side_effect(request, session, partner):
    return (
        lambda d: record.side_effect_record(by=request.user, session=session, partner=partner, **d),
        "Side effect recorded.",
    )


@_partner_post("discharge", DischargeForm)
def discharge(request, session, partner):
    return (
        lambda d: discharge_record(by=request.user, session=session, partner=partner, **d),
        f"{partner.first_name} discharged.",
    )


# -- controlled-substance log ---------------------------------------------------------------------------


@role_required("is_prescriber", "is_clinic_admin")
@require_http_methods(["GET", "POST"])
def stock(request):
    form = StockReceiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stock_receive(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Lot {form.cleaned_data['lot_number']} received.")
            return redirect("dosing:stock")
    return render(request, "dosing/stock.html", {"lots": selectors.stock_lots(), "form": form}, status=_status(form))


@role_required("is_prescriber", "is_clinic_admin")
@require_http_methods(["GET", "POST"])
def stock_lot(request, lot_id):
    lot = get_object_or_404(selectors.stock_lots(), pk=lot_id)
    data = request.POST if request.method == "POST" else None
    action = request.POST.get("action")
    waste_form = WasteForm(data if action == "waste" else None, user=request.user, prefix="waste")
    count_form = CountForm(data if action == "count" else None, user=request.user, prefix="count")
    form = {"waste": waste_form, "count": count_form}.get(action)
    if form is not None and form.is_valid():
        try:
            if action == "waste":
                stock_waste(by=request.user, lot=lot, **form.cleaned_data)
            else:
                inventory_count(by=request.user, lot=lot, **form.cleaned_data)
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, "Waste logged." if action == "waste" else "Count recorded.")
            return redirect("dosing:stock_lot", lot_id=lot.pk)
    entries = StockEntry.objects.filter(lot=lot).select_related("by", "witness", "administration__partner")
    return render(
        request,
        "dosing/stock_lot.html",
        {
            "lot": lot,
            "entries": entries,
            "counts": lot.counts.select_related("by", "witness"),
            "waste_form": waste_form,
            "count_form": count_form,
        },
        status=400 if form is not None and form.errors else 200,
    )


class _Echo:
    def write(self, value):
        return value


@role_required("is_prescriber", "is_clinic_admin")
def stock_report(request):
    """The controlled-substance log as CSV, streamed; the download is audited, typed text cannot run as a formula."""
    writer = csv.writer(_Echo())
    audit_record(
        action=AuditAction.DOWNLOAD,
        request=request,
        object_type="dosing.stockentry",
        summary="controlled-substance log downloaded as CSV",
    )

    def rows():
        yield writer.writerow(["time", "lot", "kind", "amount_mg", "by", "witness", "patient_case", "note"])
        # Notes and lot numbers are typed by people: every cell goes through the one CSV-injection guard.
        for entry in (
            StockEntry.objects.select_related("lot", "by", "witness", "administration__session__couple")
            .order_by("at", "id")
            .iterator(chunk_size=500)
        ):
            administration = entry.administration
            yield writer.writerow(
                csv_row(
                    [
                        timezone.localtime(entry.at).isoformat(timespec="minutes"),
                        entry.lot.lot_number,
                        entry.get_kind_display(),
                        entry.amount_mg,
                        entry.by.get_username(),
                        entry.witness.get_username() if entry.witness else "",
                        administration.session.couple.case_number if administration else "",
                        entry.note,
                    ]
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="controlled-substance-log-{timezone.localdate()}.csv"'
    return response
