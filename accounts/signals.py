"""Sign-in bookkeeping: start the session's security state, remember it is the user's, and end all of
a user's sessions the moment the user is disabled."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save

from accounts import services, session_state
from accounts.models import User, UserSession
from audit.choices import AuditAction
from audit.middleware import current_request
from audit.services import audit_record
from clinic.services import clinic_settings_get


def begin_session(sender, request, user, **kwargs):
    session_state.session_begin(request.session, user, idle_minutes=clinic_settings_get().idle_logoff_minutes)
    if request.session.session_key is None:
        request.session.save()
    services.user_session_register(user=user, session_key=request.session.session_key)


def forget_session(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def end_sessions_of_disabled_user(sender, instance, created, update_fields=None, **kwargs):
    if created or instance.is_active:
        return
    ended = services.user_sessions_end(user=instance)
    if ended:
        # The actor is whoever disabled the user (the admin's request), if anyone.
        audit_record(
            action=AuditAction.LOGOUT,
            request=current_request(),
            obj=instance,
            summary=f"user {instance.pk} disabled: {ended} session{'s' if ended != 1 else ''} ended",
        )


def connect() -> None:
    user_logged_in.connect(begin_session, dispatch_uid="accounts.begin_session")
    user_logged_out.connect(forget_session, dispatch_uid="accounts.forget_session")
    post_save.connect(end_sessions_of_disabled_user, sender=User, dispatch_uid="accounts.end_sessions_of_disabled")
