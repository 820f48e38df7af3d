"""Clinic users. A user holds any combination of the three clinical roles."""

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    PRESCRIBER = "prescriber", "Prescriber"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


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

    objects = UserManager()

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
