from django.contrib import admin

from cases.models import CaseEvent, ContraindicationFinding, Couple, Partner, QuestionnaireResponse, Screening
from kapcouples.admin_access import ReadOnlyClinicalAdmin


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


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyClinicalAdmin):
    list_display = ["at", "couple", "kind", "summary", "actor"]
    list_filter = ["kind"]
    list_select_related = ["couple", "actor"]
