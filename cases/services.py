"""Verbs that change a case. Each checks its clinical rules, writes the change and its timeline event."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.choices import AuditAction
from audit.services import audit_record
from cases import policy
from cases.choices import (
    COUPLE_TRANSITIONS,
    Contraindication,
    CoupleStatus,
    EventKind,
    Item9Decision,
    PartnerLabel,
    QuestionnaireContext,
    ScreeningOutcome,
)
from cases.instruments import INSTRUMENTS, PCL5_CODE
from cases.models import (
    CaseEvent,
    ContraindicationFinding,
    Couple,
    CoveringPrescriber,
    Item9ReviewDecision,
    Partner,
    QuestionnaireResponse,
    Screening,
)
from clinic.services import clinic_settings_get
from outbox.models import OutboxKind
from outbox.services import outbox_add

# Changing these after a decision sends a cleared partner back to the prescriber.
MEDICAL_FIELDS = (
    "medicine_candidate",
    "interacting_medications",
    "current_medications",
    "allergies",
    "medical_history",
    "systolic",
    "diastolic",
    "heart_rate",
    "weight_kg",
)


def _event(
    *,
    couple: Couple,
    kind: str,
    summary: str,
    actor: User | None,
    partner: Partner | None = None,
    note: str = "",
    from_status: str = "",
    to_status: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        couple=couple,
        partner=partner,
        kind=kind,
        summary=summary[:300],
        note=note,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
    )


def partner_error_key(label: str, field: str) -> str:
    """How couple_create names a partner's field in its errors: partner_a-email."""
    return f"partner_{label.lower()}-{field}"


def couple_create(*, by: User, couple: Couple, therapists: Iterable[User], partners: list[Partner]) -> Couple:
    """Open a case: the couple and exactly two partners (A and B), each with an empty screening, at once."""
    policy.require_may_create_couple(by)
    if len(partners) != 2:
        raise ValidationError("A couple is exactly two partners.")
    therapists = set(therapists)
    if by.is_therapist and not by.is_clinic_admin:
        therapists.add(by)  # a therapist opening a case is on its care team, or could not see it
    errors: dict[str, list] = {}
    _check_care_team(therapists=therapists, prescriber=couple.prescriber, errors=errors)
    couple.status = CoupleStatus.REFERRED
    try:
        couple.full_clean(exclude=["therapists"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for label, partner in zip(PartnerLabel.values, partners, strict=True):
        partner.label = label
        try:
            partner.full_clean(exclude=["couple"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[partner_error_key(label, field)] = messages
    emails = [p.email for p in partners]
    if emails[0] and emails[0] == emails[1]:
        errors.setdefault(partner_error_key("B", "email"), []).append("Each partner needs their own e-mail address.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            couple.save()
            couple.therapists.set(therapists)
            for partner in partners:
                partner.couple = couple
                partner.save()
                Screening.objects.create(partner=partner)
            _event(
                couple=couple,
                kind=EventKind.CREATED,
                actor=by,
                summary=f"Case {couple.case_number} opened for {partners[0].full_name} and {partners[1].full_name}",
            )
    except IntegrityError:
        # Another request took the case number or an e-mail between the check and the insert.
        raise ValidationError(
            "The case number or an e-mail address was taken a moment ago; check them and save again."
        ) from None
    return couple


def _check_care_team(*, therapists: set[User], prescriber: User | None, errors: dict) -> None:
    if not therapists:
        errors.setdefault("therapists", []).append("Assign at least one therapist.")
    not_therapists = [str(t) for t in therapists if not t.is_therapist or not t.is_active]
    if not_therapists:
        errors.setdefault("therapists", []).append(f"Not an active therapist: {', '.join(not_therapists)}.")
    if prescriber is not None and (not prescriber.is_prescriber or not prescriber.is_active):
        errors.setdefault("prescriber", []).append(f"{prescriber} is not an active prescriber.")


def couple_update(*, by: User, couple: Couple, values: dict, therapists: Iterable[User] | None = None) -> Couple:
    """Change a couple's details; only a clinic admin changes the care team."""
    policy.require_may_work_on_case(by, couple)
    team_change = therapists is not None or ("prescriber" in values and values["prescriber"] != couple.prescriber)
    if team_change:
        policy.require_may_assign_care_team(by)
    errors: dict[str, list] = {}
    if therapists is not None:
        therapists = set(therapists)
        _check_care_team(therapists=therapists, prescriber=values.get("prescriber", couple.prescriber), errors=errors)
    allowed = {"case_number", "treatment_goals", "relationship_concerns", "prescriber"}
    changed, fields = [], []
    for field, value in values.items():
        if field not in allowed:
            raise ValidationError(f"{field} cannot be changed here.")
        if getattr(couple, field) != value:
            setattr(couple, field, value)
            changed.append(Couple._meta.get_field(field).verbose_name)
            fields.append(field)
    try:
        couple.full_clean(exclude=["therapists"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Only the fields changed, on the locked row: a status change made since this couple was read stays.
        Couple.objects.select_for_update().filter(pk=couple.pk).exists()
        if fields:
            couple.save(update_fields=fields)
        if therapists is not None and set(couple.therapists.all()) != therapists:
            couple.therapists.set(therapists)
            changed.append("therapists")
        if changed:
            _event(couple=couple, kind=EventKind.DETAILS, actor=by, summary=f"Changed {', '.join(map(str, changed))}")
    return couple


def partner_update(*, by: User, partner: Partner, values: dict) -> Partner:
    """Change a partner's personal and contact details."""
    policy.require_may_work_on_case(by, partner.couple)
    allowed = {f.name for f in Partner._meta.get_fields() if f.concrete} - {
        "id",
        "uuid",
        "couple",
        "label",
        "search_name",
    }
    changed, fields = [], []
    for field, value in values.items():
        if field not in allowed:
            raise ValidationError(f"{field} cannot be changed here.")
        if getattr(partner, field) != value:
            setattr(partner, field, value)
            changed.append(str(Partner._meta.get_field(field).verbose_name))
            fields.append(field)
    partner.full_clean()
    if changed:
        with transaction.atomic():
            Partner.objects.select_for_update().filter(pk=partner.pk).exists()
            partner.save(update_fields=fields)
            _event(
                couple=partner.couple,
                partner=partner,
                kind=EventKind.DETAILS,
                actor=by,
                summary=f"{partner.get_label_display()}: changed {', '.join(changed)}",
            )
    return partner


def couple_activation_blockers(couple: Couple) -> list[str]:
    """What stops a couple in screening from starting treatment, in words a clinician reads."""
    blockers = []
    partners = list(couple.partners.select_related("screening"))
    for partner in partners:
        screening = partner.screening
        name = f"{partner.get_label_display()} ({partner.first_name})"
        if not screening.has_consent:
            blockers.append(f"{name} has not signed consent.")
        if screening.outcome == ScreeningOutcome.PENDING:
            blockers.append(f"{name} has no screening outcome yet.")
        elif screening.outcome == ScreeningOutcome.REVIEW:
            blockers.append(f"{name} is waiting for prescriber review.")
    if not any(p.screening.outcome == ScreeningOutcome.CLEARED and p.screening.medicine_candidate for p in partners):
        blockers.append("Neither partner is cleared to take ketamine.")
    return blockers


def couple_transition(*, by: User, couple: Couple, to_status: str, note: str = "") -> Couple:
    """Move a couple along its lifecycle, if the move is allowed, and record it on the timeline."""
    policy.require_may_work_on_case(by, couple)
    note = (note or "").strip()
    with transaction.atomic():
        couple = Couple.objects.select_for_update().get(pk=couple.pk)
        if to_status not in COUPLE_TRANSITIONS.get(couple.status, ()):
            allowed = ", ".join(CoupleStatus(s).label for s in COUPLE_TRANSITIONS.get(couple.status, ())) or "none"
            target = CoupleStatus(to_status).label if to_status in CoupleStatus.values else repr(to_status)
            raise ValidationError(
                {
                    "to_status": f"A couple cannot go from {couple.get_status_display()} to {target}. "
                    f"Possible next: {allowed}."
                }
            )
        if to_status == CoupleStatus.ACTIVE:
            blockers = couple_activation_blockers(couple)
            if blockers:
                raise ValidationError({"to_status": ["Treatment cannot start yet:", *blockers]})
        if to_status in (CoupleStatus.CLOSED, CoupleStatus.DECLINED) and not note:
            raise ValidationError({"note": "Say why the case is being closed or declined."})
        _status_move(
            couple=couple,
            to_status=to_status,
            by=by,
            note=note,
            summary=f"{couple.get_status_display()} \u2192 {CoupleStatus(to_status).label}",
        )
    return couple


def _status_move(*, couple: Couple, to_status: str, by: User | None, note: str, summary: str) -> str:
    """Write a status move on the locked couple and its timeline entry; returns the status it left."""
    from_status = couple.status
    couple.status = to_status
    couple.status_changed_at = timezone.now()
    couple.save(update_fields=["status", "status_changed_at"])
    _event(
        couple=couple,
        kind=EventKind.STATUS,
        actor=by,
        note=note,
        from_status=from_status,
        to_status=to_status,
        summary=summary,
    )
    return from_status


# -- the status that follows the course ------------------------------------------------------------------
# The services that change the course move the couple's status themselves, in their own transaction
# (docs/clinical-rules.md, "Course status"): referred -> screening at the first screening entry or questionnaire;
# screening -> active once couple_activation_blockers() is empty (both partners decided, at least one cleared to
# take ketamine, consent signed) and a preparation session (the first session after assessment) is booked or held;
# active -> completed once sessions.course.course_finished() says every follow-up was held. By hand, couple_transition
# still moves it, with a reason.


def couple_status_follow(*, by: User | None, couple: Couple, to_status: str, because: str) -> bool:
    """Move the couple to `to_status` because the course got there, if the lifecycle allows that move from where it
    is now; a move that does not apply (already there, closed, or declined) is no error. Call it inside the
    service's transaction: the status moves with the change that caused it, or not at all."""
    couple = Couple.objects.select_for_update().get(pk=couple.pk)
    if to_status not in COUPLE_TRANSITIONS.get(couple.status, ()):
        return False
    from_status = _status_move(
        couple=couple,
        to_status=to_status,
        by=by,
        note=because,
        summary=f"Status changed to {CoupleStatus(to_status).label}: {because}",
    )
    # No PHI in the audit summary: the codes of the move and why, never names.
    audit_record(
        action=AuditAction.CHANGE,
        actor=by,
        obj=couple,
        couple=couple,
        summary=f"cases.Couple {couple.pk} status followed the course: {from_status} -> {to_status}",
    )
    return True


def couple_screening_started(*, by: User | None, couple: Couple) -> None:
    """The first screening entry or questionnaire of a referred couple starts its screening."""
    if couple.status == CoupleStatus.REFERRED:
        couple_status_follow(
            by=by, couple=couple, to_status=CoupleStatus.SCREENING, because="the first screening entry was recorded"
        )


def _preparation_booked(couple: Couple) -> bool:
    # Through the reverse relation: sessions sit above cases in the layers, so their choices are not imported here.
    return couple.sessions.filter(phase="preparation", status__in=("scheduled", "completed")).exists()


def couple_activation_follow(*, by: User | None, couple: Couple) -> bool:
    """A couple in screening (or still referred) becomes active once both partners' screening is decided with one
    cleared to take ketamine, and the first preparation session is booked; True if it moved."""
    couple = Couple.objects.select_for_update().get(pk=couple.pk)
    if couple.status not in (CoupleStatus.REFERRED, CoupleStatus.SCREENING):
        return False
    if couple_activation_blockers(couple) or not _preparation_booked(couple):
        return False
    couple_screening_started(by=by, couple=couple)
    return couple_status_follow(
        by=by,
        couple=couple,
        to_status=CoupleStatus.ACTIVE,
        because="both partners' screening decided, first preparation booked",
    )


def _reopen_review_if_cleared(*, screening: Screening, by: User, reason: str) -> None:
    # A clearance was given on what the prescriber saw; new medical facts need a new look.
    if screening.outcome == ScreeningOutcome.CLEARED and screening.medicine_candidate:
        screening.outcome = ScreeningOutcome.REVIEW
        screening.outcome_by = by
        screening.outcome_at = timezone.now()
        screening.outcome_note = f"Back to prescriber review: {reason}"
        screening.save(update_fields=["outcome", "outcome_by", "outcome_at", "outcome_note", "updated_at"])
        _event(
            couple=screening.partner.couple,
            partner=screening.partner,
            kind=EventKind.OUTCOME,
            actor=by,
            summary=f"{screening.partner.get_label_display()}: clearance returned to prescriber review ({reason})",
        )


def screening_update(*, by: User, screening: Screening, values: dict) -> Screening:
    """Record a partner's screening details (conditions, medication, vitals, consent)."""
    policy.require_may_work_on_case(by, screening.partner.couple)
    allowed = {f.name for f in Screening._meta.get_fields() if f.concrete} - {
        "id",
        "partner",
        "outcome",
        "outcome_note",
        "outcome_by",
        "outcome_at",
        "updated_at",
    }
    changed = []
    for field, value in values.items():
        if field not in allowed:
            raise ValidationError(f"{field} cannot be changed here; the outcome is decided separately.")
        if getattr(screening, field) != value:
            setattr(screening, field, value)
            changed.append(field)
    screening.full_clean()
    if not changed:
        return screening
    with transaction.atomic():
        # Written onto the locked row, and only the fields changed: a clearance decided since this screening was
        # read (screening_decide) is neither lost nor judged on stale values.
        fresh = Screening.objects.select_for_update().select_related("partner__couple").get(pk=screening.pk)
        for field in changed:
            setattr(fresh, field, getattr(screening, field))
        fresh.save(update_fields=[*changed, "updated_at"])
        screening = fresh
        partner = screening.partner
        labels = [str(Screening._meta.get_field(f).verbose_name) for f in changed]
        _event(
            couple=partner.couple,
            partner=partner,
            kind=EventKind.SCREENING,
            actor=by,
            summary=f"{partner.get_label_display()}: screening updated ({', '.join(labels)})",
        )
        medical = [f for f in changed if f in MEDICAL_FIELDS]
        if medical:
            _reopen_review_if_cleared(screening=screening, by=by, reason="medical details changed")
        couple_screening_started(by=by, couple=partner.couple)
    return screening


def contraindications_record(*, by: User, screening: Screening, findings: dict[str, tuple[bool, str]]) -> None:
    """Record the whole contraindication checklist: every item answered yes or no, with an optional note."""
    policy.require_may_work_on_case(by, screening.partner.couple)
    missing = [Contraindication(c).label for c in Contraindication.values if c not in findings]
    unknown = set(findings) - set(Contraindication.values)
    if missing or unknown:
        raise ValidationError("Answer every item of the checklist yes or no." if missing else "Unknown checklist item.")
    with transaction.atomic():
        existing = {f.code: f for f in screening.contraindications.select_for_update()}
        newly_present = []
        for code, (present, note) in findings.items():
            if present not in (True, False):
                raise ValidationError({code: "Answer yes or no."})
            note = (note or "").strip()[:300]
            finding = existing.get(code)
            if finding is None:
                ContraindicationFinding.objects.create(screening=screening, code=code, present=present, note=note)
                if present:
                    newly_present.append(code)
            elif (finding.present, finding.note) != (present, note):
                if present and not finding.present:
                    newly_present.append(code)
                finding.present, finding.note = present, note
                finding.save(update_fields=["present", "note"])
        partner = screening.partner
        present_labels = [Contraindication(c).label for c, (p, _) in findings.items() if p]
        _event(
            couple=partner.couple,
            partner=partner,
            kind=EventKind.SCREENING,
            actor=by,
            summary=f"{partner.get_label_display()}: contraindication checklist recorded "
            f"({'present: ' + '; '.join(present_labels) if present_labels else 'none present'})",
        )
        if newly_present:
            _reopen_review_if_cleared(screening=screening, by=by, reason="a contraindication was recorded")
        couple_screening_started(by=by, couple=partner.couple)


def questionnaire_record(
    *,
    by: User | None,
    partner: Partner,
    instrument: str,
    answers: list,
    administered_on: datetime.date | None = None,
    context: str = QuestionnaireContext.SCREENING,
) -> QuestionnaireResponse:
    """Score a questionnaire entered item by item and keep it with its total and flags. `by` is None only for a
    partner answering through their own link (the link is the permission)."""
    if by is not None:
        policy.require_may_work_on_case(by, partner.couple)
    definition = INSTRUMENTS.get(instrument)
    if definition is None:
        raise ValidationError({"instrument": "Unknown questionnaire."})
    administered_on = administered_on or timezone.localdate()
    if administered_on > timezone.localdate():
        raise ValidationError({"administered_on": "The questionnaire cannot be dated in the future."})
    if partner.date_of_birth and administered_on < partner.date_of_birth:
        raise ValidationError(
            {"administered_on": f"The questionnaire cannot be dated before {partner.first_name} was born."}
        )
    if context not in QuestionnaireContext.values:
        raise ValidationError({"context": "Unknown questionnaire context."})
    cutoff = clinic_settings_get().pcl5_cutoff if instrument == PCL5_CODE else None
    result = definition.score(answers, cutoff=cutoff)
    with transaction.atomic():
        response = QuestionnaireResponse.objects.create(
            partner=partner,
            instrument=instrument,
            context=context,
            answers=[int(a) for a in answers],
            score=result.score,
            suicide_risk=bool(result.flags),
            administered_on=administered_on,
            recorded_by=by,
        )
        flag = f" - {result.flags[0]}" if result.flags else ""
        _event(
            couple=partner.couple,
            partner=partner,
            kind=EventKind.QUESTIONNAIRE,
            actor=by,
            summary=f"{partner.get_label_display()}: {definition.name} {result.score}/{definition.max_score} "
            f"({result.band.label}){flag}",
        )
        if response.suicide_risk:
            _item9_positive(response=response, by=by)
        couple_screening_started(by=by, couple=partner.couple)
    return response


def _item9_positive(*, response: QuestionnaireResponse, by: User | None) -> None:
    # CLINICAL.md: a positive PHQ-9 item 9 from any source reaches the therapist the same day; after a clearance
    # it also sends the partner back to the prescriber, who decides it (item9_review_decide) before any dose.
    screening = Screening.objects.select_for_update().select_related("partner__couple").get(partner=response.partner)
    sent_back = False
    if (
        screening.outcome == ScreeningOutcome.CLEARED
        and screening.medicine_candidate
        and screening.item9_review_id is None
    ):
        screening.item9_review, sent_back = response, True
        screening.save(update_fields=["item9_review", "updated_at"])
        _event(
            couple=screening.partner.couple,
            partner=screening.partner,
            kind=EventKind.OUTCOME,
            actor=by,
            summary=f"{screening.partner.get_label_display()}: back to prescriber review - PHQ-9 item 9 answered "
            "above 0 after clearance; no dose until the couple's prescriber decides",
        )
    # The therapists and the prescriber are told by the worker, once this commits (jobs.outbox).
    outbox_add(kind=OutboxKind.ITEM9_POSITIVE, object_id=response.pk, payload={"sent_back": sent_back})


def item9_review_decide(*, by: User, screening: Screening, decision: str, note: str) -> Item9ReviewDecision:
    """The couple's prescriber decides a positive PHQ-9 item 9 recorded after the clearance: the clearance stands
    (the gate opens again for this partner) or the partner is not eligible. Signed, kept insert-only, with a note."""
    note = (note or "").strip()
    verdict = policy.require(
        policy.may_clear_partner(by, screening.partner.couple),
        field="decision",
        hint="The couple's prescriber reviews a positive PHQ-9 item 9.",
    )
    if decision not in Item9Decision.values:
        raise ValidationError({"decision": "Choose whether the clearance stands or the partner is not eligible."})
    if not note:
        raise ValidationError({"note": "Say what the review found and why this decision is safe."})
    with transaction.atomic():
        screening = Screening.objects.select_for_update().select_related("partner__couple").get(pk=screening.pk)
        if screening.item9_review_id is None:
            raise ValidationError({"decision": "No positive PHQ-9 item 9 is waiting for review for this partner."})
        record = Item9ReviewDecision.objects.create(
            screening=screening, response_id=screening.item9_review_id, decision=decision, note=note, decided_by=by
        )
        screening.item9_review = None
        fields = ["item9_review", "updated_at"]
        if decision == Item9Decision.NOT_ELIGIBLE:
            screening.outcome, screening.outcome_note = ScreeningOutcome.NOT_ELIGIBLE, note
            screening.outcome_by, screening.outcome_at = by, record.decided_at
            fields += ["outcome", "outcome_note", "outcome_by", "outcome_at"]
        screening.save(update_fields=fields)
        partner = screening.partner
        _event(
            couple=partner.couple,
            partner=partner,
            kind=EventKind.OUTCOME,
            actor=by,
            note=note,
            summary=f"{partner.get_label_display()}: PHQ-9 item 9 reviewed - {Item9Decision(decision).label.lower()}",
        )
        policy.audit_if_flagged(
            verdict,
            actor=by,
            obj=record,
            couple=partner.couple,
            what=f"PHQ-9 item 9 of screening {screening.pk} decided by a prescriber who runs the couple's sessions",
        )
    return record


def screening_clearance_blockers(screening: Screening) -> list[str]:
    """What must be on file before a partner can be cleared."""
    blockers = []
    if not screening.has_consent:
        blockers.append("Signed consent is not recorded.")
    if screening.medicine_candidate:
        answered = {f.code for f in screening.contraindications.all()}
        if set(Contraindication.values) - answered:
            blockers.append("The contraindication checklist is not complete.")
        if None in (screening.systolic, screening.diastolic, screening.heart_rate):
            blockers.append("Baseline blood pressure and heart rate are not recorded.")
        if screening.weight_kg is None:
            blockers.append("Weight is not recorded (doses are set in mg/kg).")
    return blockers


def screening_decide(*, by: User, screening: Screening, outcome: str, note: str = "") -> Screening:
    """Decide a partner's screening outcome. Only a prescriber clears a partner who will take ketamine."""
    note = (note or "").strip()
    if outcome not in (ScreeningOutcome.CLEARED, ScreeningOutcome.REVIEW, ScreeningOutcome.NOT_ELIGIBLE):
        raise ValidationError({"outcome": "Choose cleared, needs prescriber review or not eligible."})
    policy.require_may_work_on_case(by, screening.partner.couple, field="outcome")
    verdict = policy.ALLOWED
    with transaction.atomic():
        screening = Screening.objects.select_for_update().select_related("partner__couple").get(pk=screening.pk)
        if outcome == ScreeningOutcome.CLEARED:
            if screening.medicine_candidate:
                verdict = policy.may_clear_partner(by, screening.partner.couple)
                policy.require(
                    verdict,
                    field="outcome",
                    hint="Choose \u201cneeds prescriber review\u201d to send it to the couple's prescriber.",
                )
            blockers = screening_clearance_blockers(screening)
            if blockers:
                raise ValidationError({"outcome": ["This partner cannot be cleared yet:", *blockers]})
            if screening.medicine_candidate and not note:
                present = screening.contraindications.filter(present=True).exists()
                flagged = QuestionnaireResponse.objects.filter(partner=screening.partner, suicide_risk=True).exists()
                if present or flagged:
                    raise ValidationError(
                        {
                            "note": "A contraindication or the PHQ-9 suicide-risk item is on file: "
                            "say why clearing is safe."
                        }
                    )
        if outcome == ScreeningOutcome.NOT_ELIGIBLE and not note:
            raise ValidationError({"note": "Say why this partner is not eligible."})
        screening.outcome = outcome
        screening.outcome_note = note
        screening.outcome_by = by
        screening.outcome_at = timezone.now()
        screening.save(update_fields=["outcome", "outcome_note", "outcome_by", "outcome_at", "updated_at"])
        partner = screening.partner
        _event(
            couple=partner.couple,
            partner=partner,
            kind=EventKind.OUTCOME,
            actor=by,
            note=note,
            summary=f"{partner.get_label_display()}: screening outcome {ScreeningOutcome(outcome).label.lower()}",
        )
        couple_activation_follow(by=by, couple=partner.couple)
        policy.audit_if_flagged(
            verdict,
            actor=by,
            obj=screening,
            couple=partner.couple,
            what=f"screening {screening.pk} cleared by a prescriber who runs the couple's sessions",
        )
    return screening


def covering_prescriber_assign(
    *, by: User, couple: Couple, prescriber: User, starts_on: datetime.date, ends_on: datetime.date, reason: str
) -> CoveringPrescriber:
    """A clinic admin names a prescriber to hold this couple's prescriber powers from starts_on to ends_on
    (both included), with a reason; the cover is on the couple's timeline."""
    policy.require_may_assign_care_team(by)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not (prescriber.is_active and prescriber.is_prescriber):
        errors.setdefault("prescriber", []).append(f"{prescriber} is not an active prescriber.")
    elif prescriber.pk == couple.prescriber_id:
        errors.setdefault("prescriber", []).append(f"{prescriber} is already this couple's prescriber.")
    if ends_on < starts_on:
        errors.setdefault("ends_on", []).append("The cover cannot end before it starts.")
    elif ends_on < timezone.localdate():
        errors.setdefault("ends_on", []).append("A cover that has already ended would cover nothing.")
    if not reason:
        errors.setdefault("reason", []).append("Say why the cover is needed.")
    if errors:
        raise ValidationError(errors)
    cover = CoveringPrescriber(
        couple=couple, prescriber=prescriber, starts_on=starts_on, ends_on=ends_on, reason=reason[:300], assigned_by=by
    )
    cover.full_clean()
    with transaction.atomic():
        cover.save()
        _event(
            couple=couple,
            kind=EventKind.DETAILS,
            actor=by,
            note=reason,
            summary=f"{prescriber} covers as prescriber from {starts_on:%d %b %Y} to {ends_on:%d %b %Y}",
        )
    return cover
