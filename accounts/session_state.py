"""What a signed-in session remembers about its own security: when it began, when it was last used,
and where it stands with two-factor. Kept in the session so checking it costs no query."""

import time

from accounts.models import User
from accounts.services import two_factor_enrolled, two_factor_required

AUTH_AT = "kap_auth_at"
LAST_ACTIVE = "kap_last_active"
IDLE_LIMIT = "kap_idle_limit"  # seconds, from the clinic setting at sign-in
TWO_FACTOR = "kap_2fa"
PENDING_SECRET = "kap_2fa_pending_secret"  # noqa: S105 - the name of a session key, not a secret
NEXT_URL = "kap_2fa_next"

VERIFIED = "verified"  # two-factor done, or not used by this user
ENROL = "enrol"  # required but no authenticator yet: must set one up before anything else
VERIFY = "verify"  # has an authenticator: must enter a code before anything else


def two_factor_state_for(user: User) -> str:
    if two_factor_enrolled(user):
        return VERIFY
    return ENROL if two_factor_required(user) else VERIFIED


def session_begin(session, user: User, *, idle_minutes: int) -> None:
    """Called at every sign-in, whatever the entry point (login form, admin login, test force_login), with the
    clinic's idle sign-out time (the caller reads the clinic settings, which sit above the accounts)."""
    now = int(time.time())
    session[AUTH_AT] = now
    session[LAST_ACTIVE] = now
    session[IDLE_LIMIT] = idle_minutes * 60
    session[TWO_FACTOR] = two_factor_state_for(user)


def idle_limit(session) -> int:
    """Seconds of inactivity this session allows (the clinic's setting when it began)."""
    return session.get(IDLE_LIMIT, DEFAULT_IDLE_MINUTES * 60)


DEFAULT_IDLE_MINUTES = 15  # CLINICAL/issue default, for sessions begun before the setting existed


def two_factor_passed(session) -> None:
    session[TWO_FACTOR] = VERIFIED
    session.pop(PENDING_SECRET, None)
