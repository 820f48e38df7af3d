"""Receivers that write the audit trail for sign-ins and for every write to clinical data."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save

from audit.choices import AuditAction
from audit.middleware import current_request
from audit.resolve import couple_id_for
from audit.services import audit_record

# Apps whose every model holds clinical data (clinic: its settings changes must be audited too).
CLINICAL_APP_LABELS = ("cases", "clinical_sessions", "dosing", "integration", "clinic")
AUDITED_SETTINGS_MODELS = ("jobs.ReminderLead",)
_UID = "audit"


def _request_and_actor():
    request = current_request()
    user = getattr(request, "user", None)
    return request, (user if user is not None and user.is_authenticated else None)


def record_save(sender, instance, created, raw=False, **kwargs):
    request, actor = _request_and_actor()
    verb = "created" if created else "changed"
    status = getattr(instance, "status", None)
    if not created and isinstance(status, str) and status:
        verb += f", now {status}"  # a status is a code, not PHI; audit/sentences.py words it ("signed the note")
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        actor=actor,
        request=request,
        obj=instance,
        summary=f"{sender._meta.label} {instance.pk} {verb}",
    )


def record_delete(sender, instance, **kwargs):
    request, actor = _request_and_actor()
    # A deleted couple cannot be referenced; its id stays in object_id.
    couple_id = None if sender is apps.get_model("cases", "Couple") else couple_id_for(instance)
    audit_record(
        action=AuditAction.DELETE,
        actor=actor,
        request=request,
        couple_id=couple_id,
        object_type=sender._meta.label_lower,
        object_id=str(instance.pk),
        summary=f"{sender._meta.label} {instance.pk} deleted",
    )


def record_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    request, actor = _request_and_actor()
    relation = sender._meta.label
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        request=request,
        obj=instance,
        summary=f"{instance._meta.label} {instance.pk} {relation} {action.removeprefix('post_')}",
    )


def record_login(sender, request, user, **kwargs):
    audit_record(action=AuditAction.LOGIN, actor=user, request=request, summary="signed in")


def record_login_failed(sender, credentials, request=None, **kwargs):
    # Django masks the password in credentials; only the username, as typed, is kept.
    username = str(credentials.get(get_user_model().USERNAME_FIELD, credentials.get("username", "")))
    audit_record(
        action=AuditAction.LOGIN_FAILED, actor=None, request=request, actor_username=username, summary="sign-in refused"
    )


def record_logout(sender, request, user, **kwargs):
    reason = getattr(request, "_logout_reason", "signed out") if request is not None else "signed out"
    audit_record(action=AuditAction.LOGOUT, actor=user, request=request, summary=reason)


def connect() -> None:
    """Connect the receivers; clinical models are found by app label, so new models are covered."""
    user_logged_in.connect(record_login, dispatch_uid=f"{_UID}.login")
    user_login_failed.connect(record_login_failed, dispatch_uid=f"{_UID}.login_failed")
    user_logged_out.connect(record_logout, dispatch_uid=f"{_UID}.logout")
    for label in CLINICAL_APP_LABELS:
        try:
            app_config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in app_config.get_models():
            uid = f"{_UID}.{model._meta.label_lower}"
            post_save.connect(record_save, sender=model, dispatch_uid=f"{uid}.save")
            post_delete.connect(record_delete, sender=model, dispatch_uid=f"{uid}.delete")
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(record_m2m, sender=field.remote_field.through, dispatch_uid=f"{uid}.{field.name}")
    # Settings that live outside the clinical apps are audited like the clinic settings: who changed what, when.
    for label in AUDITED_SETTINGS_MODELS:
        model = apps.get_model(label)
        post_save.connect(record_save, sender=model, dispatch_uid=f"{_UID}.{label.lower()}.save")
        post_delete.connect(record_delete, sender=model, dispatch_uid=f"{_UID}.{label.lower()}.delete")
