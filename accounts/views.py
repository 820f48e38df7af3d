"""Sign-in landing and each role's home page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.decorators import role_required
from cases import selectors


@login_required
def home(request):
    """Send each user to the home page of their first role; a user with none sees an explanation."""
    user = request.user
    if user.is_clinic_admin:
        return redirect("accounts:admin_home")
    if user.is_prescriber:
        return redirect("accounts:prescriber_home")
    if user.is_therapist:
        return redirect("accounts:therapist_home")
    return render(request, "accounts/no_role.html", status=403)


@role_required("is_therapist")
def therapist_home(request):
    return render(request, "accounts/therapist_home.html", {"todo": selectors.therapist_todo(user=request.user)})


@role_required("is_prescriber")
def prescriber_home(request):
    return render(request, "accounts/prescriber_home.html",
                  {"queue": list(selectors.prescriber_review_queue(user=request.user))})


@role_required("is_clinic_admin")
def admin_home(request):
    return render(request, "accounts/admin_home.html", {"overview": selectors.clinic_overview()})
