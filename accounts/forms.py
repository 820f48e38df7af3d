from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from accounts import services
from audit.choices import AuditAction
from audit.services import audit_record, client_ip
from kapcouples.forms import Form, TextFormMixin

SIGN_IN_REFUSED = (
    "The username and password did not match an active account. Try again. "
    "After repeated failures, signing in is paused for a while."
)


class LockoutAuthenticationForm(TextFormMixin, AuthenticationForm):
    """The sign-in form, with lockouts by username and by client address.

    Unknown usernames, wrong passwords, disabled accounts and locked usernames or addresses get the
    same answer, and the password is checked (and hashed) in every case, so neither the words nor
    the time taken tell whether an account exists."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": SIGN_IN_REFUSED,
        "inactive": SIGN_IN_REFUSED,
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else None
        locked = services.login_lockout_active(username=username, ip=ip)
        try:
            super().clean()
        except forms.ValidationError:
            services.login_attempt_record(username=username, ip=ip, succeeded=False, request=self.request)
            raise
        if self.user_cache is None:  # a field was left empty, so nothing was tried
            return self.cleaned_data
        if locked:
            # Right password during a lockout: refused the same way (Django's failed-login signal is
            # only sent for wrong credentials, so record it here).
            audit_record(
                action=AuditAction.LOGIN_FAILED,
                actor=None,
                request=self.request,
                actor_username=username,
                summary="sign-in refused: locked out",
            )
            services.login_attempt_record(username=username, ip=ip, succeeded=False, request=self.request)
            self.user_cache = None
            raise self.get_invalid_login_error()
        services.login_attempt_record(username=username, ip=ip, succeeded=True, request=self.request)
        return self.cleaned_data


class TOTPCodeForm(Form):
    code = forms.CharField(
        label="Six-digit code from your authenticator app",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class TwoFactorCodeForm(Form):
    code = forms.CharField(
        label="Code from your authenticator app, or a recovery code",
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class QueuedPasswordResetForm(TextFormMixin, PasswordResetForm):
    """Django's reset form, except that the e-mail is sent by the worker after the request: the request only
    records which user asked (an outbox row), and the worker makes the token and the message."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        services.password_reset_queue(
            user=context["user"], domain=context["domain"], site_name=context["site_name"], protocol=context["protocol"]
        )
