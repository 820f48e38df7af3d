"""The clinic settings page for clinic admins."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import role_required
from cases.forms import add_service_errors, detached
from cases.policy import forbid_refused
from clinic.forms import ClinicSettingsForm
from clinic.models import ClinicSettingChange
from clinic.services import clinic_settings_get, clinic_settings_update
from jobs.selectors import sms_setup


@role_required("is_clinic_admin")
@require_http_methods(["GET", "POST"])
def settings_edit(request):
    current = clinic_settings_get()
    form = ClinicSettingsForm(request.POST or None, instance=detached(current))
    if request.method == "POST" and form.is_valid():
        try:
            changes = clinic_settings_update(by=request.user, values=form.cleaned_data)
        except ValidationError as exc:
            forbid_refused(exc)
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{len(changes)} setting(s) changed." if changes else "Nothing changed.")
            return redirect("clinic:settings")
    changes = ClinicSettingChange.objects.select_related("changed_by")[:50]
    return render(
        request,
        "clinic/settings.html",
        {"form": form, "changes": changes, "current": current, "sms": sms_setup()},
        status=400 if form.is_bound and form.errors else 200,
    )
