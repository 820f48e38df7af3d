"""Sign-in landing, each role's home page, two-factor pages and the session's keep-alive endpoints."""

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services, session_state
from accounts.decorators import role_required
from accounts.forms import SIGN_IN_REFUSED, LockoutAuthenticationForm, TOTPCodeForm, TwoFactorCodeForm
from audit.services import client_ip
from pages import selectors as pages


class SignInView(auth_views.LoginView):
    """Django's sign-in view with lockouts; two-factor follows (TwoFactorRequiredMiddleware)."""

    form_class = LockoutAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view keeps the user signed in under a new session key: keep the key on record."""

    def form_valid(self, form):
        old_key = self.request.session.session_key
        response = super().form_valid(form)
        services.user_session_replace(user=self.request.user, old_key=old_key, new_key=self.request.session.session_key)
        return response


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
    home = pages.therapist_home(user=request.user, page=request.GET.get("page"))
    return render(request, "accounts/therapist_home.html", {"home": home, "page": home.page, "query": ""})


@role_required("is_prescriber")
def prescriber_home(request):
    home = pages.prescriber_home(user=request.user, page=request.GET.get("page"))
    return render(request, "accounts/prescriber_home.html", {"home": home, "page": home.page, "query": ""})


@role_required("is_clinic_admin")
def admin_home(request):
    return render(request, "accounts/admin_home.html", {"home": pages.admin_home()})


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _qr_data_uri(uri: str) -> str:
    # Drawn here as an SVG data URI: no script, no request to anyone else.
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """Set up an authenticator: scan the QR code, enter the first code, and receive recovery codes once."""
    state = request.session.get(session_state.TWO_FACTOR)
    if state == session_state.VERIFY:
        return redirect("accounts:two_factor_verify")
    if services.two_factor_enrolled(request.user):
        return redirect("accounts:security")
    secret = request.session.get(session_state.PENDING_SECRET)
    if not secret:
        secret = request.session[session_state.PENDING_SECRET] = services.totp_new_secret()
    form = TOTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.totp_device_confirm(
            user=request.user, secret=secret, code=form.cleaned_data["code"], request=request
        )
        if codes is None:
            form.add_error("code", "That code did not match. Check that your phone's clock is right and try again.")
        else:
            session_state.two_factor_passed(request.session)
            return _recovery_codes_page(request, codes)
    uri = services.totp_provisioning_uri(user=request.user, secret=secret)
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr": _qr_data_uri(uri),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": services.two_factor_required(request.user),
            "next": _next_url(request),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _recovery_codes_page(request, codes):
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next_url(request)})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """After the password, the authenticator code (or one recovery code) before any other page."""
    if request.session.get(session_state.TWO_FACTOR) != session_state.VERIFY:
        return redirect(_next_url(request) or "accounts:home")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, ip = request.user, client_ip(request)
        if not services.login_lockout_active(username=user.get_username(), ip=ip) and services.two_factor_verify(
            user=user, code=form.cleaned_data["code"], request=request
        ):
            session_state.two_factor_passed(request.session)
            return redirect(_next_url(request) or "accounts:home")
        # Wrong codes count towards the same lockout as wrong passwords.
        services.login_attempt_record(username=user.get_username(), ip=ip, succeeded=False, request=request)
        if services.login_lockout_active(username=user.get_username(), ip=ip):
            logout(request)
            messages.error(request, SIGN_IN_REFUSED)
            return redirect("accounts:login")
        form.add_error("code", "That code was not accepted. Codes change every 30 seconds and work once.")
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def security(request):
    """The user's own security page: two-factor status, new recovery codes, turning optional two-factor off."""
    user = request.user
    enrolled = services.two_factor_enrolled(user)
    required = services.two_factor_required(user)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and enrolled and form.is_valid():
        action = request.POST.get("action")
        if not services.two_factor_verify(user=user, code=form.cleaned_data["code"], request=request):
            form.add_error("code", "That code was not accepted.")
        elif action == "renew":
            return _recovery_codes_page(request, services.recovery_codes_renew(user=user, request=request))
        elif action == "remove" and not required:
            services.totp_device_remove(user=user, request=request)
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("accounts:security")
    return render(
        request,
        "accounts/security.html",
        {
            "form": form,
            "enrolled": enrolled,
            "required": required,
            "recovery_left": services.recovery_codes_left(user=user) if enrolled else 0,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _session_times(request) -> dict:
    now = int(time.time())
    session = request.session
    idle = session_state.idle_limit(session)
    absolute = settings.SESSION_ABSOLUTE_LIMIT_HOURS * 3600
    return {
        "authenticated": True,
        "idle_seconds_left": max(0, idle - (now - session.get(session_state.LAST_ACTIVE, now))),
        "absolute_seconds_left": max(0, absolute - (now - session.get(session_state.AUTH_AT, now))),
        "warn_seconds": settings.SESSION_IDLE_WARNING_SECONDS,
    }


@require_GET
def session_status(request):
    """How long this session has left. Polled by the page; never counts as activity."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False}, status=401)
    return JsonResponse(_session_times(request))


@require_POST
def session_keep_alive(request):
    """The user chose to stay signed in: their activity starts now (the absolute limit still holds)."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False}, status=401)
    request.session[session_state.LAST_ACTIVE] = int(time.time())
    return JsonResponse(_session_times(request))


def admin_login(request):
    """The Django admin's own sign-in page is never used: it would skip the lockout and the second factor."""
    target = _next_url(request) or reverse("admin:index")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
