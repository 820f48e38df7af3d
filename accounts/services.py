"""Sign-in security: lockouts after failed attempts, TOTP two-factor, recovery codes, ending sessions."""

import datetime
import hashlib
import secrets
from importlib import import_module

import pyotp
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Max, Q
from django.template import loader
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import LockoutScope, LoginAttempt, LoginLockout, RecoveryCode, TOTPDevice, User, UserSession
from audit.choices import AuditAction
from audit.services import audit_record
from outbox.models import OutboxKind
from outbox.services import outbox_add

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_CODE_LENGTH = 16  # about 79 bits: a fast hash is enough at this entropy
TOTP_STEP_SECONDS = 30


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:150]


def clinic_admin_create(*, username: str, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Make a clinic admin who can do everything in the product; the second factor is set up at first sign-in."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    username = normalise_username(username)
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["Give a username."]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [f"A user named {username} already exists."]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Give an e-mail address: password resets go there."]
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = ["Another account already uses this e-mail address."]
    candidate = User(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            is_clinic_admin=True,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=None,
            actor_username="manage.py",
            obj=user,
            summary="Clinic admin created from the command line",
        )
    return user


def login_lockout_active(*, username: str, ip: str | None) -> bool:
    """True while the username or the client address is locked out; the same for names without an account."""
    scope = Q(scope=LockoutScope.USERNAME, key=normalise_username(username))
    if ip:
        scope |= Q(scope=LockoutScope.ADDRESS, key=ip)
    return LoginLockout.objects.filter(scope, until__gt=timezone.now()).exists()


def login_attempt_record(*, username: str, ip: str | None, succeeded: bool, request=None) -> None:
    """Keep one attempt; a failure that reaches a limit within the window starts a lockout.

    Failures count from the later of: the window's start, the end of the last lockout of that key, and
    (for a username) its last successful sign-in."""
    now = timezone.now()
    username = normalise_username(username)
    LoginAttempt.objects.create(username=username, ip_address=ip, succeeded=succeeded, at=now)
    if succeeded:
        return
    window_start = now - datetime.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    checks = [(LockoutScope.USERNAME, username, Q(username=username), settings.LOGIN_FAILURES_PER_USERNAME)]
    if ip:
        checks.append((LockoutScope.ADDRESS, ip, Q(ip_address=ip), settings.LOGIN_FAILURES_PER_ADDRESS))
    for scope, key, attempts_of, limit in checks:
        since = max(window_start, _last_lockout_end(scope, key) or window_start)
        if scope == LockoutScope.USERNAME:
            since = max(since, _last_success(username) or since)
        failures = LoginAttempt.objects.filter(attempts_of, succeeded=False, at__gte=since).count()
        if failures >= limit and not _locked(scope, key, now):
            until = now + datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            LoginLockout.objects.create(scope=scope, key=key, started_at=now, until=until)
            audit_record(
                action=AuditAction.LOCKOUT,
                actor=None,
                request=request,
                actor_username=username if scope == LockoutScope.USERNAME else "",
                summary=f"{scope} locked for {settings.LOGIN_LOCKOUT_MINUTES} minutes after {failures} failures",
            )


def _locked(scope: str, key: str, now) -> bool:
    return LoginLockout.objects.filter(scope=scope, key=key, until__gt=now).exists()


def _last_lockout_end(scope: str, key: str):
    return LoginLockout.objects.filter(scope=scope, key=key, until__lte=timezone.now()).aggregate(m=Max("until"))["m"]


def _last_success(username: str):
    return LoginAttempt.objects.filter(username=username, succeeded=True).aggregate(m=Max("at"))["m"]


def two_factor_required(user: User) -> bool:
    """Prescribers and clinic admins must use two-factor; for others it is their choice."""
    return bool(user.is_prescriber or user.is_clinic_admin)


def two_factor_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user).exists()


def totp_new_secret() -> str:
    return pyotp.random_base32()


def totp_provisioning_uri(*, user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=settings.TWO_FACTOR_ISSUER)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code equals code, allowing one step of clock drift either way."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    now = int(timezone.now().timestamp())
    for drift in (0, -1, 1):
        moment = now + drift * TOTP_STEP_SECONDS
        if secrets.compare_digest(totp.at(moment), code):
            return moment // TOTP_STEP_SECONDS
    return None


def _hash_recovery_code(code: str) -> str:
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    codes = [
        "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash_recovery_code(c)) for c in codes])
    return ["-".join(code[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)) for code in codes]


@transaction.atomic
def totp_device_confirm(*, user: User, secret: str, code: str, request=None) -> list[str] | None:
    """Save the authenticator if code matches secret, and return 10 new recovery codes to show once;
    None when the code is wrong."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    TOTPDevice.objects.update_or_create(
        user=user, defaults={"secret": secret, "confirmed_at": timezone.now(), "last_used_step": step}
    )
    codes = _new_recovery_codes(user)
    audit_record(
        action=AuditAction.TWO_FACTOR_ENROLLED,
        actor=user,
        request=request,
        obj=user,
        summary="authenticator set up, 10 recovery codes issued",
    )
    return codes


def two_factor_verify(*, user: User, code: str, request=None) -> bool:
    """Accept a current authenticator code not used before, or an unused recovery code (used up here)."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        return False
    step = _matching_step(device.secret, code)
    # Claim the step with a conditional UPDATE, so one code cannot sign in twice, even concurrently.
    if step is not None and TOTPDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(
        last_used_step=step
    ):
        audit_record(action=AuditAction.TWO_FACTOR_VERIFIED, actor=user, request=request, summary="code accepted")
        return True
    used = RecoveryCode.objects.filter(user=user, code_hash=_hash_recovery_code(code), used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if used:
        left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
        audit_record(
            action=AuditAction.TWO_FACTOR_RECOVERY_USED,
            actor=user,
            request=request,
            summary=f"recovery code used, {left} left",
        )
        return True
    audit_record(action=AuditAction.TWO_FACTOR_FAILED, actor=user, request=request, summary="code refused")
    return False


@transaction.atomic
def recovery_codes_renew(*, user: User, request=None) -> list[str]:
    """Replace all recovery codes with 10 new ones, to show once."""
    codes = _new_recovery_codes(user)
    audit_record(
        action=AuditAction.TWO_FACTOR_RECOVERY_RENEWED,
        actor=user,
        request=request,
        obj=user,
        summary="10 new recovery codes issued",
    )
    return codes


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def totp_device_remove(*, user: User, request=None) -> None:
    """Turn two-factor off for a user who is not required to use it."""
    if two_factor_required(user):
        raise ValueError("Two-factor is required for prescribers and clinic admins.")
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(
        action=AuditAction.TWO_FACTOR_REMOVED, actor=user, request=request, obj=user, summary="authenticator removed"
    )


def user_session_register(*, user: User, session_key: str) -> None:
    """Remember that this session is the user's, to end it with the others if the user is disabled."""
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def user_session_replace(*, user: User, old_key: str | None, new_key: str) -> None:
    UserSession.objects.filter(session_key=old_key).delete()
    user_session_register(user=user, session_key=new_key)


def user_sessions_end(*, user: User) -> int:
    """End every session of the user at once (any session backend); returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


PASSWORD_RESET_SUBJECT = "registration/password_reset_subject.txt"  # noqa: S105 - a template path, not a secret
PASSWORD_RESET_BODY = "registration/password_reset_email.txt"  # noqa: S105 - a template path, not a secret


def password_reset_queue(*, user: User, domain: str, site_name: str, protocol: str) -> None:
    """Ask the worker to e-mail a reset link to this user; no token is made or stored until it sends."""
    outbox_add(
        kind=OutboxKind.PASSWORD_RESET,
        object_id=user.pk,
        payload={"domain": domain, "site_name": site_name, "protocol": protocol},
    )


def password_reset_email(*, user_id: int, domain: str, site_name: str, protocol: str) -> bool:
    """Send the reset e-mail (the worker); a user who was disabled or lost the address meanwhile gets none."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or not user.has_usable_password():
        return False
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": site_name,
        "protocol": protocol,
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    subject = "".join(loader.render_to_string(PASSWORD_RESET_SUBJECT, context).splitlines())
    body = loader.render_to_string(PASSWORD_RESET_BODY, context)
    EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()
    return True


def totp_secrets_rotate() -> int:
    """Re-encrypt every stored TOTP secret under the first TOTP_ENCRYPTION_KEYS key; returns how many. Safe to
    run twice (a secret already under the first key is simply encrypted again)."""
    from accounts.crypto import secret_rotate

    rotated = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Raw rows: the ciphertext itself is what changes, the model field only shows plain text.
        cursor.execute(
            "SELECT id, secret FROM accounts_totpdevice FOR UPDATE"
            if connection.vendor == "postgresql"
            else "SELECT id, secret FROM accounts_totpdevice"
        )
        for pk, token in cursor.fetchall():
            cursor.execute("UPDATE accounts_totpdevice SET secret = %s WHERE id = %s", [secret_rotate(token), pk])
            rotated += 1
    return rotated
