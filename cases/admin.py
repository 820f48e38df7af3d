from django.contrib import admin
from django.core.exceptions import ValidationError

from accounts.models import User
from audit.admin_access import ClinicAdminAccess, ReadOnlyClinicalAdmin
from cases import services
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
from kapcouples.forms import ModelForm


@admin.register(Couple)
class CoupleAdmin(ReadOnlyClinicalAdmin):
    list_display = ["case_number", "status", "prescriber", "created_at"]
    list_filter = ["status"]
    search_fields = ["case_number", "partners__last_name"]
    list_select_related = ["prescriber"]


@admin.register(Partner)
class PartnerAdmin(ReadOnlyClinicalAdmin):
    list_display = ["__str__", "couple", "label", "email"]
    search_fields = ["last_name", "first_name", "couple__case_number"]
    list_select_related = ["couple"]


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyClinicalAdmin):
    list_display = ["partner", "outcome", "outcome_by", "outcome_at"]
    list_filter = ["outcome"]
    list_select_related = ["partner", "outcome_by"]


@admin.register(ContraindicationFinding)
class ContraindicationFindingAdmin(ReadOnlyClinicalAdmin):
    list_display = ["screening", "code", "present"]


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(ReadOnlyClinicalAdmin):
    list_display = ["partner", "instrument", "score", "administered_on"]
    list_filter = ["instrument"]


@admin.register(Item9ReviewDecision)
class Item9ReviewDecisionAdmin(ReadOnlyClinicalAdmin):
    """Shown, never changed: a decision is recorded by item9_review_decide, from the couple page."""

    list_display = ["screening", "decision", "decided_by", "decided_at"]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyClinicalAdmin):
    list_display = ["at", "couple", "kind", "summary", "actor"]
    list_filter = ["kind"]
    list_select_related = ["couple", "actor"]


class CoverForm(ModelForm):
    """The admin's form for a new cover: it is saved by the service, whose refusals show next to the fields."""

    class Meta:
        model = CoveringPrescriber
        fields = ["couple", "prescriber", "starts_on", "ends_on", "reason"]

    acting_user: User | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prescriber"].queryset = User.objects.filter(is_active=True, is_prescriber=True)

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.instance = services.covering_prescriber_assign(
                by=self.acting_user,
                couple=self.cleaned_data["couple"],
                prescriber=self.cleaned_data["prescriber"],
                starts_on=self.cleaned_data["starts_on"],
                ends_on=self.cleaned_data["ends_on"],
                reason=self.cleaned_data["reason"],
            )
        except ValidationError as exc:
            self._update_errors(exc)


@admin.register(CoveringPrescriber)
class CoveringPrescriberAdmin(ClinicAdminAccess, admin.ModelAdmin):
    """Clinic admins name a covering prescriber for a period; a cover is history, never changed or deleted."""

    form = CoverForm
    list_display = ["couple", "prescriber", "starts_on", "ends_on", "assigned_by", "assigned_at"]
    list_select_related = ["couple", "prescriber", "assigned_by"]
    search_fields = ["couple__case_number", "prescriber__last_name"]
    readonly_fields = ["assigned_by", "assigned_at"]
    autocomplete_fields = ["couple"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.acting_user = request.user
        return form

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Saved already by covering_prescriber_assign in the form's validation, with its timeline entry."""
