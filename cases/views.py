"""Case pages: entry points that check access, call one service or selector, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import forbid_unless
from accounts.submit_once import AlreadySubmitted, already_submitted, submit_once
from audit.choices import AuditAction
from audit.services import audit_record
from cases import services
from cases.choices import CoupleStatus, QuestionnaireContext
from cases.forms import (
    ContraindicationForm,
    CoupleCreateForm,
    CoupleEditForm,
    CoupleFilterForm,
    CoupleTransitionForm,
    Item9DecisionForm,
    OutcomeForm,
    PartnerForm,
    QuestionnaireForm,
    ScreeningForm,
    add_service_errors,
    detached,
    split_partner_errors,
)
from cases.instruments import INSTRUMENTS
from cases.models import Couple, Partner
from cases.policy import couple_for_user, forbid_refused, may_assign_care_team, may_clear_partner, may_create_couple
from clinic.services import clinic_settings_get
from pages import couples as pages_couples
from pages import selectors as pages


def _partner_for_user(request, couple_uuid, partner_uuid) -> tuple[Couple, Partner]:
    couple = couple_for_user(request.user, couple_uuid)
    partner = get_object_or_404(Partner.objects.select_related("screening"), couple=couple, uuid=partner_uuid)
    partner.couple = couple
    return couple, partner


@login_required
def couple_list(request):
    form = CoupleFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    list_page = pages_couples.couple_list_page(
        user=request.user,
        search=filters.get("q", ""),
        status=filters.get("status", ""),
        therapist_id=filters["therapist"].pk if filters.get("therapist") else None,
        page=request.GET.get("page"),
    )
    # A list of couples is a read of clinical data too (names, statuses), like each couple's page.
    audit_record(
        action=AuditAction.READ,
        request=request,
        object_type="cases.couple",
        summary=f"couple list viewed (page {list_page.page.number})",
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/couple_list.html",
        {"list": list_page, "page": list_page.page, "form": form, "query": query.urlencode()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def couple_create(request):
    if not may_create_couple(request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    couple_form = CoupleCreateForm(data)
    partner_forms = {
        "partner_a": PartnerForm(data, prefix="partner_a"),
        "partner_b": PartnerForm(data, prefix="partner_b"),
    }
    if data is not None and (repeat := already_submitted(request.user, data.get("submit_token"))):
        messages.info(request, "This form was sent twice; the case was opened once, the first time.")
        return redirect(repeat.url or "cases:couple_list")
    if data is not None:
        valid = [couple_form.is_valid()] + [f.is_valid() for f in partner_forms.values()]
        if all(valid):
            try:
                couple = submit_once(
                    user=request.user,
                    token=couple_form.cleaned_data.get("submit_token"),
                    purpose="couple_create",
                    action=lambda: services.couple_create(
                        by=request.user,
                        couple=couple_form.save(commit=False),
                        therapists=couple_form.cleaned_data["therapists"],
                        partners=[f.save(commit=False) for f in partner_forms.values()],
                    ),
                    result_url=lambda couple: reverse("cases:couple_detail", kwargs={"couple_uuid": couple.uuid}),
                )
            except AlreadySubmitted as done:
                messages.info(request, "This form was sent twice; the case was opened once, the first time.")
                return redirect(done.url or "cases:couple_list")
            except ValidationError as exc:
                forbid_refused(exc)
                split_partner_errors(exc, couple_form, partner_forms)
            else:
                messages.success(request, f"Case {couple.case_number} opened.")
                return redirect("cases:couple_detail", couple_uuid=couple.uuid)
    return render(
        request,
        "cases/couple_form.html",
        {
            "couple_form": couple_form,
            "partner_forms": list(partner_forms.items()),
        },
        status=400 if data is not None else 200,
    )


@login_required
def couple_detail(request, couple_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    page = pages.couple_page(user=request.user, couple=couple)
    settings = clinic_settings_get()  # the baseline vitals at screening are shown against the flag threshold
    return render(
        request,
        "cases/couple_detail.html",
        {"page": page, "couple": couple, "bp_flag_at": f"{settings.bp_flag_systolic}/{settings.bp_flag_diastolic}"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def couple_edit(request, couple_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    can_assign = bool(may_assign_care_team(request.user))
    form = CoupleEditForm(request.POST or None, instance=detached(couple), can_assign=can_assign)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "therapists"}
        try:
            services.couple_update(
                by=request.user,
                couple=couple,
                values=values,
                therapists=form.cleaned_data.get("therapists") if can_assign else None,
            )
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, "Case details saved.")
            return redirect("cases:couple_detail", couple_uuid=couple.uuid)
    return _form_page(request, form, couple=couple, title=f"Edit case {couple.case_number}")


@login_required
@require_POST
def couple_transition(request, couple_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    form = CoupleTransitionForm(request.POST)
    if form.is_valid():
        try:
            services.couple_transition(
                by=request.user, couple=couple, to_status=form.cleaned_data["to_status"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Status changed to {CoupleStatus(form.cleaned_data['to_status']).label}.")
            return redirect("cases:couple_detail", couple_uuid=couple.uuid)
    return _form_page(request, form, couple=couple, title=f"Change the status of {couple.case_number}")


@login_required
@require_http_methods(["GET", "POST"])
def partner_edit(request, couple_uuid, partner_uuid):
    couple, partner = _partner_for_user(request, couple_uuid, partner_uuid)
    form = PartnerForm(request.POST or None, instance=detached(partner))
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update(by=request.user, partner=partner, values=form.cleaned_data)
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{partner.full_name}'s details saved.")
            return redirect("cases:couple_detail", couple_uuid=couple.uuid)
    return _form_page(request, form, couple=couple, partner=partner, title=f"Edit {partner.get_label_display()}")


@login_required
@require_http_methods(["GET", "POST"])
def screening_edit(request, couple_uuid, partner_uuid):
    couple, partner = _partner_for_user(request, couple_uuid, partner_uuid)
    screening = partner.screening
    form = ScreeningForm(request.POST or None, instance=detached(screening))
    if request.method == "POST" and form.is_valid():
        try:
            services.screening_update(by=request.user, screening=screening, values=form.cleaned_data)
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Screening of {partner.full_name} saved.")
            return redirect("cases:couple_detail", couple_uuid=couple.uuid)
    return _form_page(request, form, couple=couple, partner=partner, title=f"Screening: {partner.full_name}")


@login_required
@require_http_methods(["GET", "POST"])
def contraindications_edit(request, couple_uuid, partner_uuid):
    couple, partner = _partner_for_user(request, couple_uuid, partner_uuid)
    findings = {f.code: f for f in partner.screening.contraindications.all()}
    form = ContraindicationForm(request.POST or None, findings=findings)
    if request.method == "POST" and form.is_valid():
        try:
            services.contraindications_record(by=request.user, screening=partner.screening, findings=form.findings())
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Contraindication checklist of {partner.full_name} saved.")
            return redirect("cases:couple_detail", couple_uuid=couple.uuid)
    return render(
        request,
        "cases/contraindications_form.html",
        {"form": form, "couple": couple, "partner": partner},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_new(request, couple_uuid, partner_uuid, instrument):
    couple, partner = _partner_for_user(request, couple_uuid, partner_uuid)
    definition = INSTRUMENTS.get(instrument.upper())
    if definition is None:
        raise Http404("No such questionnaire.")
    form = QuestionnaireForm(request.POST or None, instrument=definition)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.questionnaire_record(
                by=request.user,
                partner=partner,
                instrument=definition.code,
                answers=form.answers(),
                administered_on=form.cleaned_data["administered_on"],
                # The measure point a due questionnaire is recorded for (integration's lists link with it).
                context=request.GET.get("context") or QuestionnaireContext.SCREENING,
            )
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            band = definition.band_for(response.score, cutoff=clinic_settings_get().pcl5_cutoff)
            provisional = response.provisional
            messages.success(
                request,
                f"{definition.name} for {partner.full_name}: {response.score} "
                f"of {definition.max_score}, {band.label}" + (f"; {provisional.label}." if provisional else "."),
            )
            if response.suicide_risk:
                messages.warning(request, definition.flags_for(response.answers)[0])
            return redirect("cases:couple_detail", couple_uuid=couple.uuid)
    return render(
        request,
        "cases/questionnaire_form.html",
        {
            "form": form,
            "couple": couple,
            "partner": partner,
            "instrument": definition,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def screening_decide(request, couple_uuid, partner_uuid):
    couple, partner = _partner_for_user(request, couple_uuid, partner_uuid)
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.screening_decide(
                by=request.user,
                screening=partner.screening,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Screening outcome of {partner.full_name} recorded.")
            return redirect("cases:couple_detail", couple_uuid=couple.uuid)
    return _form_page(
        request,
        form,
        couple=couple,
        partner=partner,
        title=f"Screening outcome: {partner.full_name}",
        intro="Only a prescriber can clear a partner who will take ketamine; "
        "a sober support partner needs signed consent.",
        blockers=services.screening_clearance_blockers(partner.screening),
    )


@login_required
@require_POST
def item9_review_decide(request, couple_uuid, partner_uuid):
    """The couple's prescriber decides a positive PHQ-9 item 9 recorded after the clearance (from the couple page)."""
    couple, partner = _partner_for_user(request, couple_uuid, partner_uuid)
    forbid_unless(may_clear_partner(request.user, couple))  # a 403 that says why; the service decides again
    form = Item9DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.item9_review_decide(
                by=request.user,
                screening=partner.screening,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"PHQ-9 item 9 of {partner.full_name} reviewed and recorded.")
            return redirect("cases:couple_detail", couple_uuid=couple.uuid)
    return _form_page(
        request,
        form,
        couple=couple,
        partner=partner,
        title=f"PHQ-9 item 9 review: {partner.full_name}",
        intro="A positive PHQ-9 item 9 was recorded after this partner was cleared; no medicine session may dose "
        "them until the couple's prescriber records a decision.",
    )


def _form_page(request, form, *, couple, title, partner=None, intro="", blockers=()):
    return render(
        request,
        "cases/simple_form.html",
        {
            "form": form,
            "couple": couple,
            "partner": partner,
            "title": title,
            "intro": intro,
            "blockers": blockers,
        },
        status=400 if form.is_bound and form.errors else 200,
    )
