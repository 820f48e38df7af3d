from django.contrib import admin

from audit.admin_access import ReadOnlyClinicalAdmin
from dosing.models import (
    Administration,
    Approval,
    ApprovalDose,
    ApprovalRevocation,
    Discharge,
    DosingRequest,
    HoldOverride,
    InventoryCount,
    PreDoseCheck,
    SideEffect,
    StockEntry,
    StockLot,
    VitalReading,
)

# Dosing records are signed, controlled-substance or clinical data: the admin site shows them and changes
# none of them; every change goes through the dosing verbs (dosing.approvals, .record, .stock), where the gate
# and the limits live.
for model in (
    DosingRequest,
    Approval,
    ApprovalDose,
    ApprovalRevocation,
    Administration,
    VitalReading,
    HoldOverride,
    PreDoseCheck,
    SideEffect,
    Discharge,
    StockLot,
    StockEntry,
    InventoryCount,
):
    admin.site.register(model, ReadOnlyClinicalAdmin)
