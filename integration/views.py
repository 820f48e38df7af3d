"""Integration pages: entry points that check access, call one service or selector, and render.

Two views are public (no sign-in): the questionnaire a partner opens from an e-mailed link, and its thank-you
page. They are listed in PUBLIC_VIEWS and marked `view.public = True` for the URL-walk security tests.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import forbid_unless, role_required
from cases import policy
from cases.forms import add_service_errors
from cases.instruments import INSTRUMENTS
from cases.models import Partner
from cases.policy import couple_for_user, forbid_refused
from integration import selectors, services
from integration.forms import (
    BOTH,
    CommitmentForm,
    CommitmentReviewForm,
    OutcomesFilterForm,
    PublicQuestionnaireForm,
    SendLinkForm,
    WithdrawLinkForm,
)
from pages import outcomes as pages_outcomes
from sessions.models import TherapySession
from sessions.selectors import session_for_user

PUBLIC_VIEWS = ("integration:questionnaire_fill", "integration:questionnaire_thanks")


def _messages_of(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


# -- commitments (on the session page) ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def commitment_add(request, session_uuid):
    session = session_for_user(request.user, session_uuid)
    forbid_unless(policy.may_manage_sessions(request.user, session.couple))
    partners = list(session.couple.partners.order_by("label"))
    form = CommitmentForm(request.POST or None, partners=partners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = BOTH if data["owner"] == BOTH else next(p for p in partners if str(p.uuid) == data["owner"])
        try:
            services.commitment_add(
                by=request.user,
                session=session,
                kind=data["kind"],
                text=data["text"],
                owner=owner,
                due_on=data["due_on"],
            )
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, "Commitment recorded.")
            return redirect("sessions:session_detail", session_uuid=session.uuid)
    return render(
        request,
        "integration/commitment_form.html",
        {"form": form, "session": session, "couple": session.couple},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def commitment_review(request, session_uuid):
    session = session_for_user(request.user, session_uuid)
    forbid_unless(policy.may_manage_sessions(request.user, session.couple))
    form = CommitmentReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not saved: choose the commitment's status.")
        return redirect("sessions:session_detail", session_uuid=session.uuid)
    commitment = selectors.commitment_for_couple(session.couple, form.cleaned_data["commitment"])
    try:
        services.commitment_review(
            by=request.user,
            commitment=commitment,
            session=session,
            to_status=form.cleaned_data["to_status"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        forbid_refused(exc)
        messages.error(request, f"Not saved: {_messages_of(exc)}")
    else:
        messages.success(request, "Commitment reviewed.")
    return redirect("sessions:session_detail", session_uuid=session.uuid)


# -- questionnaire links ------------------------------------------------------------------------------


def _back(couple, session: TherapySession | None):
    if session is not None:
        return redirect("sessions:session_detail", session_uuid=session.uuid)
    return redirect("integration:couple_integration", couple_uuid=couple.uuid)


@login_required
@require_POST
def link_send(request, couple_uuid, partner_uuid, instrument):
    couple = couple_for_user(request.user, couple_uuid)
    partner = get_object_or_404(Partner, couple=couple, uuid=partner_uuid)
    partner.couple = couple
    forbid_unless(policy.may_manage_sessions(request.user, couple))
    if instrument.upper() not in INSTRUMENTS:
        raise Http404("No such questionnaire.")
    form = SendLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The link was not sent: the questionnaire's purpose could not be read.")
        return _back(couple, None)
    session = None
    if form.cleaned_data["session"]:
        session = TherapySession.objects.filter(couple=couple, uuid=form.cleaned_data["session"]).first()
        if session is None:
            raise Http404("No such session.")
    try:
        sent = services.questionnaire_link_send(
            by=request.user,
            partner=partner,
            instrument=instrument.upper(),
            context=form.cleaned_data["context"],
            session=session,
            site_url=request.build_absolute_uri("/"),
        )
    except ValidationError as exc:
        forbid_refused(exc)
        messages.error(request, f"Not sent: {_messages_of(exc)}")
    else:
        messages.success(
            request,
            f"{sent.link.definition.name} link e-mailed to {partner.first_name} "
            f"({partner.email}); it works once and expires "
            f"{timezone.localtime(sent.link.expires_at):%d %b %Y}.",
        )
    return _back(couple, session)


@login_required
@require_POST
def link_withdraw(request, couple_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    forbid_unless(policy.may_manage_sessions(request.user, couple))
    form = WithdrawLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not withdrawn: the link could not be read.")
        return _back(couple, None)
    link = selectors.link_for_couple(couple, form.cleaned_data["link"])
    try:
        services.questionnaire_link_withdraw(by=request.user, link=link, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        forbid_refused(exc)
        messages.error(request, f"Not withdrawn: {_messages_of(exc)}")
    else:
        messages.success(request, f"The {link.definition.name} link of {link.partner.first_name} was withdrawn.")
    return _back(couple, None)


# -- pages ----------------------------------------------------------------------------------------------


@login_required
def couple_integration(request, couple_uuid):
    couple = couple_for_user(request.user, couple_uuid)
    page = pages_outcomes.couple_integration_page(couple=couple)
    return render(request, "integration/couple_integration.html", {"page": page})


@role_required("is_clinic_admin")
def clinic_outcomes(request):
    form = OutcomesFilterForm(request.GET or None)
    approach = form.cleaned_data["approach"] if form.is_valid() else ""
    return render(
        request,
        "integration/clinic_outcomes.html",
        {"form": form, "page": pages_outcomes.clinic_outcomes_page(approach=approach)},
    )


# -- public: the partner's questionnaire -----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def questionnaire_fill(request, token):
    link = services.questionnaire_link_find(token)
    problem = services.link_problem(link)
    if problem is not None:
        return render(
            request,
            "integration/public/link_problem.html",
            {"message": problem.message, "state": problem.state},
            status=404 if problem.state == "unknown" else 410,
        )
    form = PublicQuestionnaireForm(request.POST or None, instrument=link.definition)
    if request.method == "POST" and form.is_valid():
        try:
            services.questionnaire_link_submit(token=token, answers=form.answers())
        except services.LinkUnusable as exc:
            return render(
                request,
                "integration/public/link_problem.html",
                {"message": exc.message, "state": exc.state},
                status=410,
            )
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            return redirect("integration:questionnaire_thanks")
    return render(
        request,
        "integration/public/questionnaire.html",
        {
            "form": form,
            "instrument": link.definition,
            "first_name": link.partner.first_name,
            "expires_at": link.expires_at,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


questionnaire_fill.public = True


@never_cache
def questionnaire_thanks(request):
    return render(request, "integration/public/thanks.html")


questionnaire_thanks.public = True
