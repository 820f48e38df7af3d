"""Every view in the project is either public by the explicit list below or guarded: a signed-out visitor is
sent to sign in, whatever URL they type and whatever method they use. A view added later without a guard
fails here until it is guarded or listed."""

import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from tests.urlwalk import fill_route, iter_patterns

pytestmark = pytest.mark.django_db

# Views anyone may open without signing in, and why.
PUBLIC = {
    "accounts:login": "signing in",
    "accounts:password_reset": "asking for a reset link (answers the same whether or not the account exists)",
    "accounts:password_reset_done": "the answer to the above",
    "accounts:password_reset_confirm": "the e-mailed single-use reset link",
    "accounts:password_reset_complete": "the end of a reset",
    "integration:questionnaire_fill": "a partner's single-use questionnaire link (the token is the guard)",
    "integration:questionnaire_thanks": "the page after a partner submits",
    "sessions:calendar_feed": "a clinician's private calendar feed for their calendar app (the token is the guard)",
    "jobs:sms_status": "the SMS provider's delivery reports (its signature is the guard; unsigned gets 403)",
    "jobs:session_reply": "a partner's signed, single-use link from a reminder to confirm or ask to cancel",
    "ops:healthz": "load-balancer health check, no PHI",
    "ops:readyz": "readiness check, no PHI",
    "admin:login": "the admin site's own sign-in",
    "admin:logout": "signing out of the admin site shows nothing",
}

# Views any signed-in user may open whatever their role, because they show only the user's own account or an
# empty, scoped list; everything else also needs a role or an object the user may see.
ANY_SIGNED_IN = {
    "accounts:home",
    "accounts:logout",
    "accounts:security",
    "accounts:two_factor_enrol",
    "accounts:two_factor_verify",
    "accounts:session_status",
    "accounts:session_keep_alive",
    "accounts:password_change",
    "accounts:password_change_done",
    "cases:couple_list",
    "sessions:calendar_week",
    "sessions:calendar_day",
    "dosing:approaches",
}

VALUES = {
    "couple_uuid": uuid.uuid4(),
    "partner_uuid": uuid.uuid4(),
    "session_uuid": uuid.uuid4(),
    "approval_uuid": uuid.uuid4(),
    "request_uuid": uuid.uuid4(),
    "summary_uuid": uuid.uuid4(),
    "job_uuid": uuid.uuid4(),
    "instrument": "PHQ9",
    "notice_id": 1,
    "lot_id": 1,
    "name": "sessions.csv",
    "token": "x" * 43,
    "uidb64": "MQ",
    "object_id": "1",
    "id": "1",
    "url": "x",
    "app_label": "cases",
    "content_type_id": 1,
    "reminder_id": 1,
    "reading_id": 1,
}


def named_routes():
    return sorted({name for _, name, _ in iter_patterns() if name})


def url_for(name: str) -> str:
    return fill_route(name, **VALUES)


def test_the_walk_covers_every_app():
    names = named_routes()
    for prefix in ("accounts:", "cases:", "sessions:", "dosing:", "integration:", "clinic:", "admin:"):
        assert any(n.startswith(prefix) for n in names), prefix


@pytest.mark.parametrize("name", [n for n in named_routes() if n not in PUBLIC])
def test_signed_out_visitors_are_sent_to_sign_in(client, name):
    """Sent to sign in (or told 401/403); a method the view never takes may answer 405, which tells nothing."""
    login = reverse("admin:login") if name.startswith("admin:") else reverse(settings.LOGIN_URL)
    url = url_for(name)
    guarded = 0
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if response.status_code == 405:
            continue
        to_login = response.status_code == 302 and response["Location"].startswith(login)
        assert to_login or response.status_code in (401, 403), (
            f"{name} ({url}) answered {method.upper()} from a signed-out visitor with {response.status_code}: "
            "guard it, or list it in PUBLIC with the reason"
        )
        guarded += 1
    assert guarded, f"{name} refused both GET and POST with 405"


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_views_exist_and_answer(client, name):
    if name not in named_routes():
        pytest.fail(f"{name} is listed as public but no longer exists: remove it from PUBLIC")
    # A public view answers without crashing; /readyz says 503 when a dependency is down, which is its job.
    status = client.get(url_for(name)).status_code
    assert status < 500 or (name == "ops:readyz" and status == 503), status


@pytest.mark.parametrize("name", [n for n in named_routes() if n not in set(PUBLIC) | ANY_SIGNED_IN])
def test_a_signed_in_user_without_a_role_reaches_nothing(client_for, name):
    from tests.factories import UserFactory

    client = client_for(UserFactory())
    for method in ("get", "post"):
        response = getattr(client, method)(url_for(name))
        assert response.status_code in (302, 403, 404, 405), (name, method, response.status_code)
        if response.status_code == 302:
            assert "/login/" in response["Location"], (name, response["Location"])
