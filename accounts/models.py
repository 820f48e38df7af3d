"""Clinic users. A user holds any combination of the three clinical roles."""

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.crypto import EncryptedSecretField


class Role(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    PRESCRIBER = "prescriber", "Prescriber"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


class ClinicUserManager(UserManager):
    """Django's user manager, except that a superuser is a clinic admin: the first account made with
    `createsuperuser` can then use the product, not only the Django admin."""

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_clinic_admin", True)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in: therapist, prescriber and/or clinic admin."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address")
    is_therapist = models.BooleanField("therapist", default=False)
    is_prescriber = models.BooleanField(
        "prescriber", default=False, help_text="A licensed physician or nurse practitioner who approves dosing."
    )
    is_clinic_admin = models.BooleanField(
        "clinic admin", default=False, help_text="Manages users and settings, sees every couple, exports reports."
    )
    credentials = models.CharField(max_length=60, blank=True, help_text="Shown after the name, e.g. MD, NP, LMFT.")

    objects = ClinicUserManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            # Password resets go to this address, so two accounts may never share it.
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci", condition=~models.Q(email="")),
        ]

    def __str__(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name

    @property
    def roles(self) -> list[str]:
        return [
            role
            for role, held in (
                (Role.THERAPIST, self.is_therapist),
                (Role.PRESCRIBER, self.is_prescriber),
                (Role.CLINIC_ADMIN, self.is_clinic_admin),
            )
            if held
        ]

    def save(self, *args, **kwargs):
        # The admin site is the clinic admins' tool; Django lets only staff in.
        self.is_staff = self.is_clinic_admin or self.is_superuser
        super().save(*args, **kwargs)

    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles]


class LoginAttempt(models.Model):
    """One try at the sign-in form (or at a two-factor code), kept to count failures for lockouts."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    username = models.CharField(max_length=150, help_text="As typed, lower-cased; may name no account.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["username", "-at"]),
            models.Index(fields=["ip_address", "-at"]),
        ]


class LockoutScope(models.TextChoices):
    USERNAME = "username", "Username"
    ADDRESS = "address", "Client address"


class LoginLockout(models.Model):
    """Sign-in refused for a username or a client address until a time, whatever the password."""

    scope = models.CharField(max_length=16, choices=LockoutScope.choices)
    key = models.CharField(max_length=150, help_text="The lower-cased username or the IP address.")
    started_at = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "-until"])]
        constraints = [
            # A lockout that ends before it starts would never lock anything.
            models.CheckConstraint(
                condition=models.Q(until__gt=models.F("started_at")), name="lockout_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(scope__in=LockoutScope.values), name="lockout_scope_known"),
        ]


class TOTPDevice(models.Model):
    """A user's authenticator app: the shared TOTP secret, confirmed by a first code.

    The secret is encrypted at rest with a key from the environment (accounts/crypto.py): a copy of the database
    alone does not give anyone's second factor."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = EncryptedSecretField()
    confirmed_at = models.DateTimeField(default=timezone.now)
    last_used_step = models.BigIntegerField(
        default=0, help_text="The 30-second step of the last accepted code: a code is accepted once."
    )

    def __str__(self) -> str:
        return f"Authenticator of {self.user.username}"


class RecoveryCode(models.Model):
    """A single-use code to sign in without the authenticator; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Two equal hashes for one user would let one code be used twice.
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique_per_user"),
        ]


class UserSession(models.Model):
    """Which session belongs to which user, so that all of a user's sessions can be ended at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)


class SubmitToken(models.Model):
    """A form's one-time token, spent by the first submission in the transaction that saves what it creates.

    A second submission of the same form (a double click, a resent POST) finds the token spent and is shown what
    the first one saved, instead of saving a second row (accounts.submit_once)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token = models.UUIDField()
    purpose = models.CharField(max_length=40)
    result_url = models.CharField(max_length=300, blank=True)
    spent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="submit_token_spent_once")]

    def __str__(self):
        return f"{self.purpose} {self.token}"
