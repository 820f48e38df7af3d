"""Private calendar feeds: parse back as iCalendar, show initials only by default, follow the sessions as they
change, stay private to their clinician, and answer 404 once revoked or regenerated."""

import re

import icalendar
import pytest
from django.urls import reverse

from audit.choices import AuditAction
from audit.models import AuditEvent
from audit.sentences import audit_sentence
from sessions import feeds, services
from sessions.choices import Phase, Place, SessionStatus
from sessions.models import CalendarFeed
from sessions.tests.helpers import A, P, at, held

pytestmark = pytest.mark.django_db


def new_feed_url(client) -> str:
    page = client.post(reverse("sessions:calendar_feed_settings"), {"action": "regenerate"}).content.decode()
    return re.search(r'id="feed-url" value="([^"]+)"', page).group(1)


def fetch(client, url):
    return client.get(url.removeprefix("http://127.0.0.1:8000"))


def events(response) -> dict[str, icalendar.Event]:
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


@pytest.fixture
def booked(frozen, active_couple, therapist):
    held(active_couple, therapist, A, at(1, 9))
    return services.session_schedule(
        by=therapist, couple=active_couple, therapist=therapist, phase=P, start=at(6, 10), place=Place.TELEHEALTH
    ).session


def test_the_feed_parses_back_with_the_session_and_initials_only(client, client_for, therapist, booked, active_couple):
    url = new_feed_url(client_for(therapist))
    client.logout()
    found = events(fetch(client, url))
    event = found[f"{booked.uuid}@kapcouples"]
    a, b = active_couple.partners.order_by("label")
    assert str(event["summary"]) == (
        f"Preparation session \u00b7 {a.first_name[0]}.{a.last_name[0]}. & {b.first_name[0]}.{b.last_name[0]}."
    )
    assert a.first_name not in fetch(client, url).content.decode()
    assert event.decoded("dtstart") == booked.start and event.decoded("dtend") == booked.end
    assert str(event["status"]) == "CONFIRMED"


def test_first_names_only_when_the_clinician_asks(client_for, therapist, booked, active_couple):
    staff = client_for(therapist)
    page = staff.post(reverse("sessions:calendar_feed_settings"), {"action": "regenerate", "names": "1"})
    url = re.search(r'id="feed-url" value="([^"]+)"', page.content.decode()).group(1)
    event = events(fetch(staff, url))[f"{booked.uuid}@kapcouples"]
    assert active_couple.partners.get(label="A").first_name in str(event["summary"])


def test_the_feed_follows_a_move_and_a_cancellation(client, client_for, therapist, booked):
    url = new_feed_url(client_for(therapist))
    before = events(fetch(client, url))[f"{booked.uuid}@kapcouples"]
    services.session_reschedule(by=therapist, session=booked, start=at(7, 14), place=Place.TELEHEALTH)
    moved = events(fetch(client, url))[f"{booked.uuid}@kapcouples"]
    assert moved.decoded("dtstart") == at(7, 14)
    assert int(moved["sequence"]) > int(before["sequence"])
    services.session_cancel(by=therapist, session=booked, reason="Couple asked")
    assert str(events(fetch(client, url))[f"{booked.uuid}@kapcouples"]["status"]) == "CANCELLED"


def test_a_revoked_or_replaced_address_is_404(client, client_for, therapist, booked):
    staff = client_for(therapist)
    first = new_feed_url(staff)
    second = new_feed_url(staff)
    assert fetch(client, first).status_code == 404
    assert fetch(client, second).status_code == 200
    staff.post(reverse("sessions:calendar_feed_settings"), {"action": "revoke"})
    assert fetch(client, second).status_code == 404
    assert CalendarFeed.objects.filter(user=therapist, revoked_at__isnull=True).count() == 0


def test_a_made_up_token_is_404(client, booked):
    assert client.get(reverse("sessions:calendar_feed", args=["x" * 43])).status_code == 404


def test_a_deactivated_clinicians_feed_is_404(client, client_for, therapist, booked):
    url = new_feed_url(client_for(therapist))
    type(therapist).objects.filter(pk=therapist.pk).update(is_active=False)
    assert fetch(client, url).status_code == 404


def test_the_feed_has_only_the_clinicians_own_sessions(
    client, client_for, therapist, other_therapist, booked, other_active_couple
):
    theirs = held(other_active_couple, other_therapist, A, at(1, 9), status=SessionStatus.SCHEDULED)
    found = events(fetch(client, new_feed_url(client_for(therapist))))
    assert f"{booked.uuid}@kapcouples" in found and f"{theirs.uuid}@kapcouples" not in found


def test_a_prescribers_feed_has_the_medicine_sessions_of_their_couples(
    client, client_for, prescriber, therapist, active_couple, frozen
):
    medicine = held(active_couple, therapist, Phase.MEDICINE, at(4, 9), status=SessionStatus.SCHEDULED)
    preparation = held(active_couple, therapist, P, at(1, 9), status=SessionStatus.SCHEDULED)
    found = events(fetch(client, new_feed_url(client_for(prescriber))))
    assert f"{medicine.uuid}@kapcouples" in found and f"{preparation.uuid}@kapcouples" not in found


def test_the_token_is_not_stored(client_for, therapist, booked):
    url = new_feed_url(client_for(therapist))
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get(user=therapist, revoked_at__isnull=True)
    assert token not in feed.token_hash and len(feed.token_hash) == 64


def test_the_feed_takes_the_same_queries_however_many_sessions(
    client, client_for, therapist, booked, active_couple, django_assert_num_queries
):
    url = new_feed_url(client_for(therapist)).removeprefix("http://127.0.0.1:8000")
    client.logout()
    with django_assert_num_queries(4):  # the feed, its sessions, their partners, one audit INSERT
        client.get(url)
    for day in range(9, 16):
        held(active_couple, therapist, P, at(day, 9), status=SessionStatus.SCHEDULED)
    with django_assert_num_queries(4):  # the feed, its sessions, their partners, one audit INSERT
        assert len(events(client.get(url))) == 9


def test_only_clinicians_have_a_feed(client_for, clinic_admin):
    assert client_for(clinic_admin).get(reverse("sessions:calendar_feed_settings")).status_code == 403
    with pytest.raises(Exception, match="Only an active therapist or prescriber"):
        feeds.feed_regenerate(by=clinic_admin)


def test_each_read_of_the_feed_is_audited_with_its_owner_and_where_it_came_from(client, client_for, therapist, booked):
    url = new_feed_url(client_for(therapist))
    client.logout()
    before = AuditEvent.objects.count()
    fetch_from = client.get(
        url.removeprefix("http://127.0.0.1:8000"), REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="iOS/17 dataaccessd"
    )
    assert fetch_from.status_code == 200
    row = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert row.action == AuditAction.READ and row.actor == therapist
    assert row.object_type == "clinical_sessions.calendarfeed"
    assert row.ip_address == "203.0.113.7" and row.user_agent == "iOS/17 dataaccessd"
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert row.path.endswith(".ics") and token not in row.path  # the trail never holds the feed's secret
    assert "calendar feed" in audit_sentence(row)
    fetch(client, url)
    assert AuditEvent.objects.filter(object_type="clinical_sessions.calendarfeed", action=AuditAction.READ).count() == 2


def test_a_revoked_feed_is_404_and_its_read_is_not_recorded_as_a_read(client, client_for, therapist, booked):
    staff = client_for(therapist)
    url = new_feed_url(staff)
    staff.post(reverse("sessions:calendar_feed_settings"), {"action": "revoke"})
    staff.logout()
    assert fetch(client, url).status_code == 404
    assert not AuditEvent.objects.filter(object_type="clinical_sessions.calendarfeed", action=AuditAction.READ).exists()
