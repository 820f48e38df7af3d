"""Each persona against each kind of object and action, with the exact status of every cell.

Outside the caseload (another therapist, an unassigned prescriber) every URL that names the couple or one of its
sessions is a 404, whatever the method; a GET of an action that only takes POST is a 405, answered before the
object is looked up, so it says nothing about whether the object exists (a random id gets the same 405). The
couple's own care team and the admin reach its pages: 200, or 403 for a page their role may see but not use,
with the rule's reason. Ids swapped into a form body change nothing."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from dosing import approvals as dosing_approvals
from dosing.choices import Approach
from dosing.models import ApprovalRevocation, DosingRequest, Notice
from dosing.tests.factories import approval_on_file, lot
from jobs.choices import Channel, RecipientKind, ReminderStatus
from jobs.models import Reminder
from sessions import services as session_services
from sessions.choices import Phase, SessionStatus
from sessions.models import SessionNote, TherapySession
from sessions.tests.helpers import held
from tests.urlwalk import fill_route, iter_patterns

pytestmark = pytest.mark.django_db

OBJECT_KWARGS = ("couple_uuid", "session_uuid")


def scoped_routes():
    return sorted(
        {
            name
            for route, name, _ in iter_patterns()
            if name and any(f"<uuid:{kwarg}>" in route for kwarg in OBJECT_KWARGS)
        }
    )


@pytest.fixture
def world(therapist, prescriber, couple):
    """One couple with something behind every URL: partners, sessions of each kind, a draft note, an approval,
    a request."""
    approval = approval_on_file(couple, prescriber, valid_from=timezone.localdate() - datetime.timedelta(days=60))
    now = timezone.now()
    preparation = held(couple, therapist, Phase.PREPARATION, now - datetime.timedelta(days=20))
    session_services.note_save_draft(by=therapist, session=preparation, content={"intentions_a": "To feel safe"})
    medicine = held(couple, therapist, Phase.MEDICINE, now - datetime.timedelta(days=10))
    integration = held(couple, therapist, Phase.INTEGRATION, now - datetime.timedelta(days=9))
    request = DosingRequest.objects.create(
        couple=couple,
        approach=Approach.SOLO,
        rationale="Alternate roles",
        requested_by=therapist,
        solo_partner=couple.partners.get(label="A"),
    )
    sessions = {"dosing": medicine, "integration": integration}
    reminder = Reminder.objects.create(
        session=preparation,
        session_start=preparation.start,
        user=therapist,
        recipient_kind=RecipientKind.THERAPIST,
        channel=Channel.EMAIL,
        lead_minutes=120,
        due_at=preparation.start,
        status=ReminderStatus.FAILED,
    )
    return {
        "reminder": reminder,
        "couple": couple,
        "partner": couple.partners.get(label="A"),
        "approval": approval,
        "request": request,
        "preparation": preparation,
        "sessions": sessions,
    }


def url_for(name, world):
    session = world["sessions"].get(name.split(":")[0], world["preparation"])
    return fill_route(
        name,
        couple_uuid=world["couple"].uuid,
        session_uuid=session.uuid,
        partner_uuid=world["partner"].uuid,
        approval_uuid=world["approval"].uuid,
        request_uuid=world["request"].uuid,
        instrument="GAD7",
        reminder_id=world["reminder"].pk,
        reading_id=0,  # POST-only: a GET is 405 and an outsider's POST 404 before the reading is looked up
    )


def test_the_matrix_covers_couples_and_sessions_of_every_clinical_app():
    names = scoped_routes()
    for prefix in ("cases:", "sessions:", "dosing:", "integration:"):
        assert any(n.startswith(prefix) for n in names), prefix


# Actions that only take POST: a GET is 405 for everyone, before any lookup.
POST_ONLY = {
    "cases:couple_transition",
    "cases:item9_review_decide",
    "dosing:discharge",
    "dosing:dose",
    "dosing:medicine_observe",
    "dosing:medicine_plan",
    "dosing:medicine_start",
    "dosing:predose",
    "dosing:predose_override",
    "dosing:reading_override",
    "dosing:request_create",
    "dosing:request_withdraw",
    "dosing:side_effect",
    "dosing:vitals",
    "integration:commitment_review",
    "jobs:reminder_resend",
    "integration:link_send",
    "integration:link_withdraw",
    "sessions:note_amend",
    "sessions:note_sign",
    "sessions:session_cancel",
    "sessions:session_complete",
    "sessions:session_no_show",
    "sessions:suggestion_accept",
}
# The care team's pages that a role may see but not use (every other page is 200 for all three).
FORBIDDEN_PAGES = {
    "dosing:approval_new": {"therapist", "clinic_admin"},  # only the couple's prescriber signs
    "dosing:approval_revoke": {"therapist", "clinic_admin"},  # ... and revokes
    "dosing:request_decline": {"therapist", "clinic_admin"},  # ... and declines
    "sessions:note_edit": {"prescriber", "clinic_admin"},  # the session's therapist writes its note
    "sessions:session_reschedule": {"prescriber"},  # the couple's therapists or an admin move sessions
    "integration:commitment_add": {"prescriber"},  # ... and keep its integration work
}
# Actions a role is refused outright on a POST (403 with the reason), whatever the form says.
FORBIDDEN_POSTS = {
    **FORBIDDEN_PAGES,
    "dosing:request_withdraw": {"prescriber", "clinic_admin"},  # a therapist of the couple withdraws
    "dosing:request_create": {"prescriber", "clinic_admin"},  # ... and requests
    "cases:item9_review_decide": {"therapist", "clinic_admin"},  # the couple's prescriber decides item 9
    "sessions:note_sign": {"prescriber", "clinic_admin"},
    "sessions:note_amend": {"prescriber", "clinic_admin"},
    # The bedside record is kept by the care team; an admin as such does not document a medicine session.
    **dict.fromkeys(
        ("dosing:medicine_plan", "dosing:predose", "dosing:dose", "dosing:vitals", "dosing:side_effect"),
        {"clinic_admin"},
    ),
    "dosing:discharge": {"clinic_admin"},
    "dosing:predose_override": {"therapist", "clinic_admin"},  # the couple's prescriber overrides a hold
    "dosing:medicine_start": {"prescriber", "clinic_admin"},  # the session's therapist starts it
    # The couple's therapists or an admin run its sessions and integration work, not its prescriber.
    **dict.fromkeys(
        (
            "dosing:medicine_observe",
            "sessions:session_cancel",
            "sessions:session_complete",
            "sessions:session_no_show",
            "sessions:suggestion_accept",
            "integration:commitment_review",
            "integration:link_send",
            "integration:link_withdraw",
            "jobs:reminder_resend",
        ),
        {"prescriber"},
    ),
}
TEAM = ("therapist", "prescriber", "clinic_admin")
OUTSIDERS = ("other_therapist", "other_prescriber")


def expected_for_the_team(name: str, persona: str) -> int:
    if name in POST_ONLY:
        return 405
    return 403 if persona in FORBIDDEN_PAGES.get(name, ()) else 200


def test_the_tables_name_only_real_routes():
    names = set(scoped_routes())
    assert names >= POST_ONLY
    assert set(FORBIDDEN_PAGES) | set(FORBIDDEN_POSTS) <= names


@pytest.mark.parametrize("name", scoped_routes())
@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outside_the_caseload_every_url_is_404(request, client_for, world, name, persona):
    client = client_for(request.getfixturevalue(persona))
    url = url_for(name, world)
    assert client.get(url).status_code == (405 if name in POST_ONLY else 404), (persona, url)
    response = client.post(url, {"to_status": "closed", "note": "x", "reason": "x"})
    assert response.status_code == 404, (persona, url)
    assert TherapySession.objects.filter(status=SessionStatus.CANCELLED).count() == 0


@pytest.mark.parametrize("name", scoped_routes())
@pytest.mark.parametrize("persona", TEAM)
def test_the_care_team_and_the_admin_get_exactly_their_pages(request, client_for, world, name, persona):
    response = client_for(request.getfixturevalue(persona)).get(url_for(name, world))
    assert response.status_code == expected_for_the_team(name, persona), (persona, name)


@pytest.mark.parametrize("name, persona", sorted((n, p) for n, ps in FORBIDDEN_POSTS.items() for p in ps))
def test_a_role_refused_an_action_gets_403_with_the_reason_and_nothing_changes(
    request, client_for, world, name, persona
):
    def state():
        return (
            ApprovalRevocation.objects.count(),
            list(DosingRequest.objects.values_list("status", flat=True)),
            list(SessionNote.objects.values_list("status", flat=True)),
            SessionNote.objects.count(),
            list(TherapySession.objects.order_by("pk").values_list("start", flat=True)),
        )

    before = state()
    response = client_for(request.getfixturevalue(persona)).post(
        url_for(name, world),
        {"reason": "x", "start": "2030-01-01T10:00", "place": "telehealth", "text": "x", "partner": "A"},
    )
    assert response.status_code == 403, (persona, name)
    assert "Only " in response.content.decode()  # the rule book's reason, e.g. "Only the couple's prescriber ..."
    assert state() == before


# -- ids swapped into the form body -------------------------------------------------------------------------


def test_booking_for_a_couple_outside_the_caseload_is_refused(client_for, therapist, couple, other_couple):
    start = (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(therapist).post(
        reverse("sessions:session_new"),
        {"couple": other_couple.pk, "phase": "assessment", "start": start, "place": "telehealth"},
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not TherapySession.objects.exists()


def test_a_dosing_request_naming_another_couples_partner_is_refused(
    client_for, therapist, prescriber, couple, other_couple
):
    approval_on_file(couple, prescriber)
    response = client_for(therapist).post(
        reverse("dosing:request_create", kwargs={"couple_uuid": couple.uuid}),
        {"approach": "solo", "solo_partner": str(other_couple.partners.first().uuid), "rationale": "x"},
    )
    assert response.status_code == 400
    assert not DosingRequest.objects.exists()


def test_someone_elses_notice_cannot_be_dismissed(client_for, therapist, other_therapist, couple):
    notice = Notice.objects.create(recipient=other_therapist, couple=couple, text="For Omar")
    response = client_for(therapist).post(reverse("dosing:notice_dismiss", kwargs={"notice_id": notice.pk}))
    assert response.status_code == 404
    assert Notice.objects.get(pk=notice.pk).dismissed_at is None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/",
        "not a url",
        "javascript:alert(1)",
        "accounts:logout",
        "/\\evil.example",
    ],
)
def test_dismissing_a_notice_never_redirects_off_site_or_fails_on_a_bad_next(client_for, therapist, couple, target):
    notice = Notice.objects.create(recipient=therapist, couple=couple, text="Approved")
    client = client_for(therapist)
    response = client.post(reverse("dosing:notice_dismiss", kwargs={"notice_id": notice.pk}), {"next": target})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:home")
    assert Notice.objects.get(pk=notice.pk).dismissed_at is not None
    back = client.post(reverse("dosing:notice_dismiss", kwargs={"notice_id": notice.pk}), {"next": "/couples/"})
    assert back["Location"] == "/couples/"  # a path on this site is kept; dismissing twice changes nothing


def test_a_partner_of_another_couple_cannot_be_dosed_through_my_session(
    client_for, therapist, prescriber, world, other_couple
):
    session = TherapySession.objects.filter(phase=Phase.MEDICINE).first()
    stranger = other_couple.partners.first()
    url = reverse("dosing:dose", kwargs={"session_uuid": session.uuid, "partner_uuid": stranger.uuid})
    stock = lot(prescriber)
    response = client_for(therapist).post(
        url, {"dose-A-mg": "10", "dose-A-lot": stock.pk, "dose-A-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 404
    assert not session.administrations.exists()


def test_a_revocation_cannot_reach_another_couples_approval(
    client_for, prescriber, other_prescriber, world, other_couple
):
    theirs = approval_on_file(other_couple, other_prescriber)
    url = reverse("dosing:approval_revoke", kwargs={"couple_uuid": world["couple"].uuid, "approval_uuid": theirs.uuid})
    assert client_for(prescriber).post(url, {"reason": "x"}).status_code == 404
    assert dosing_approvals.approval_current(couple=other_couple) == theirs


def test_random_ids_are_404_not_500(client_for, clinic_admin, world):
    client = client_for(clinic_admin)
    for name in scoped_routes():
        url = fill_route(
            name,
            couple_uuid=uuid.uuid4(),
            session_uuid=uuid.uuid4(),
            partner_uuid=uuid.uuid4(),
            approval_uuid=uuid.uuid4(),
            request_uuid=uuid.uuid4(),
            instrument="PHQ9",
            reminder_id=1,
            reading_id=1,
        )
        assert client.get(url).status_code in (404, 405), name
