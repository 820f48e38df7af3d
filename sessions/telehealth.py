"""Telehealth video links: a session's own link, or its therapist's standing room; https only.

The link goes where the session goes: the session page, the calendar, the clinician's feed and the partners'
reminders (only for a telehealth session).
"""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

from accounts.models import User
from sessions.choices import Place
from sessions.models import ClinicianVideoLink, TherapySession

_url = URLValidator(schemes=["https"])
NOT_A_LINK = "Enter the video link as a full https:// address (e.g. https://meet.clinic.example/room-4)."


def video_url_clean(raw: str) -> str:
    """The link stripped, or "" for none; ValidationError unless it is an https:// URL."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        _url(raw)
    except ValidationError:
        raise ValidationError(NOT_A_LINK, code="video_url") from None
    return raw


def video_url_check(*, place: str, video_url: str, errors: dict) -> str:
    """For the booking verbs: the cleaned link, with the reason next to the field if it cannot be used."""
    try:
        video_url = video_url_clean(video_url)
    except ValidationError as exc:
        errors["video_url"] = exc.messages
        return ""
    if video_url and place != Place.TELEHEALTH:
        errors["video_url"] = f"Only a telehealth session has a video link; this one is {Place(place).label.lower()}."
    return video_url


def video_link(session: TherapySession) -> str:
    """The link to join this session, or "" (not telehealth, or no link anywhere)."""
    return session.join_url


def clinician_video_link_set(*, by: User, url: str) -> ClinicianVideoLink | None:
    """Set (or with "" remove) the therapist's standing video room."""
    if not (by.is_active and by.is_therapist):
        raise ValidationError("Only an active therapist has a standing video link.")
    try:
        url = video_url_clean(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from None
    if not url:
        ClinicianVideoLink.objects.filter(user=by).delete()
        return None
    link, _ = ClinicianVideoLink.objects.update_or_create(user=by, defaults={"url": url, "updated_at": timezone.now()})
    return link
