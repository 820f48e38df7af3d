"""Hostile bytes on the main POST views, signed in as the role that uses each: control characters, invalid UTF-8,
100 kB strings, huge and non-finite numbers and far dates. Never a 500; a refusal stores nothing (no row, no
changed row); and nothing stored anywhere contains characters that are not text (kapcouples.forms).

Each view gets a payload that is accepted as it is, and Hypothesis replaces one to three of its fields, so the
hostile value reaches the service and the database, not only the form."""

import datetime
import re
from urllib.parse import quote, quote_from_bytes

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Screening
from cases.tests.test_views import couple_form_data
from dosing.tests.test_bedside import checks, record_url, under_way  # noqa: F401 - fixtures
from dosing.tests.test_medicine_session import scheduled  # noqa: F401 - fixture
from integration.tests.conftest import active_couple, one_cycle  # noqa: F401 - fixtures
from kapcouples.forms import NOT_TEXT
from sessions.choices import Place
from sessions.models import SessionNote
from sessions.tests.conftest import frozen  # noqa: F401 - fixture
from tests.security.test_fuzz_forms import CLINICAL_APPS, row_counts, world  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

SPECIAL = [
    "",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "10000-01-01",
    "-0001-01-01",
    "2026-02-30",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e-400",
    "9" * 400,
    "-" + "9" * 40,
    "0x1F",
    "\x00",
    "a\x1b[2Jb",
    "\ufffd",
    "a" * 100_000,
    "\u202eevil",
    "<script>alert(1)</script>",
]

VALUE = st.one_of(
    st.sampled_from(SPECIAL).map(str.encode),
    st.binary(max_size=24),  # mostly not UTF-8
    st.text(max_size=24).map(str.encode),  # any character, control characters included
    st.integers(-(10**30), 10**30).map(lambda n: str(n).encode()),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).encode()),
)

HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def encode(payload: dict[str, bytes | str]) -> str:
    return "&".join(
        f"{quote(name)}={quote_from_bytes(value if isinstance(value, bytes) else str(value).encode())}"
        for name, value in payload.items()
    )


def text_values():
    """Every stored text value of the clinical apps (to find one that is not text)."""
    for label in CLINICAL_APPS:
        for model in apps.get_app_config(label).get_models():
            names = [f.name for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]
            if names:
                for row in model.objects.values_list(*names):
                    yield from ((model._meta.label, v) for v in row if isinstance(v, str))


def fuzz(client, url, base, *, watched=None, base_accepted=True):
    """Posts the base payload once (it must be accepted), then with hostile values in one to three fields.

    ``base`` is a payload, or a function of a counter giving a fresh one (new case number, lot, time) so that an
    accepted hostile value is stored rather than refused as a duplicate."""
    make = base if callable(base) else (lambda n: base)
    counter = iter(range(1, 10_000))
    snapshot = (lambda: list(watched().values())) if watched else (lambda: None)
    first = client.post(url, encode(make(0)), content_type="application/x-www-form-urlencoded")
    if base_accepted:
        assert first.status_code == 302, _errors(first)

    @HYPOTHESIS
    @given(changes=st.dictionaries(st.sampled_from(sorted(make(0))), VALUE, min_size=1, max_size=3))
    def post(changes):
        before, rows = row_counts(), snapshot()
        body = encode({**make(next(counter)), **changes})
        response = client.post(url, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, changes
        if response.status_code == 400:
            assert row_counts() == before, changes
            assert snapshot() == rows, changes

    post()
    bad = [(label, value[:80]) for label, value in text_values() if NOT_TEXT.search(value)]
    assert not bad, bad


def _errors(response):
    return re.findall(
        r'class="[^"]*(?:invalid-feedback|alert-danger)[^"]*"[^>]*>(.*?)</', response.content.decode(), re.S
    )


def test_couple_create(client_for, therapist, prescriber):
    def base(n):
        return couple_form_data(
            prescriber=prescriber.pk,
            case_number=f"KAP-F{n}",
            **{"partner_a-email": f"a{n}@mail.example", "partner_b-email": f"b{n}@mail.example"},
        )

    fuzz(client_for(therapist), reverse("cases:couple_create"), base)


def test_booking(client_for, therapist, world, couple):
    day = timezone.localtime().replace(hour=10, minute=0) + datetime.timedelta(days=10)

    def base(n):
        return {
            "couple": couple.pk,
            "phase": "integration",
            "start": (day + datetime.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M"),
            "end": "11:00",
            "place": Place.TELEHEALTH,
            "video_url": "https://meet.example/kap",
        }

    fuzz(client_for(therapist), reverse("sessions:session_new"), base)


def test_screening(client_for, therapist, world, couple):
    partner = couple.partners.get(label="A")
    url = reverse("cases:screening_edit", kwargs={"couple_uuid": couple.uuid, "partner_uuid": partner.uuid})
    base = {
        "medicine_candidate": "on",
        "current_medications": "none",
        "allergies": "none",
        "medical_history": "unremarkable",
        "systolic": "120",
        "diastolic": "80",
        "heart_rate": "70",
        "weight_kg": "70.5",
        "consent_signed_on": timezone.localdate().isoformat(),
        "consent_version": "v3",
    }
    fuzz(
        client_for(therapist),
        url,
        base,
        watched=lambda: Screening.objects.filter(partner=partner),
    )


def test_questionnaire(client_for, therapist, couple):
    partner = couple.partners.get(label="A")
    url = reverse(
        "cases:questionnaire_new",
        kwargs={"couple_uuid": couple.uuid, "partner_uuid": partner.uuid, "instrument": "PHQ9"},
    )
    base = {"administered_on": timezone.localdate().isoformat(), **{f"item_{n}": "1" for n in range(1, 10)}}
    fuzz(client_for(therapist), url, base)


def test_note(client_for, therapist, world):
    session = world["session_uuid"]
    url = reverse("sessions:note_edit", kwargs={"session_uuid": session})
    base = {
        "intentions_a": "To listen.",
        "intentions_b": "To be heard.",
        "psychoeducation": "Effects and risks explained.",
        "touch_agreement": "Hand holding only.",
        "safety_word": "Pause",
    }
    fuzz(client_for(therapist), url, base, watched=lambda: SessionNote.objects.filter(session__uuid=session))


def test_commitment(client_for, therapist, one_cycle, couple):  # noqa: F811 - the fixture
    url = reverse("integration:commitment_add", kwargs={"session_uuid": one_cycle["integration"].uuid})
    base = {
        "commitment-kind": "conversation",
        "commitment-text": "Talk about money on Sundays",
        "commitment-owner": str(couple.partners.get(label="B").uuid),
        "commitment-due_on": "2030-03-01",
    }
    fuzz(client_for(therapist), url, base)


def test_stock_entry(client_for, prescriber):
    def base(n):
        return {
            "lot_number": f"LOT-F{n}",
            "product": "Ketamine HCl 50 mg/mL, 10 mL vial",
            "expires_on": (timezone.localdate() + datetime.timedelta(days=300)).isoformat(),
            "amount_mg": "500",
            "supplier": "Pharma Inc.",
        }

    fuzz(client_for(prescriber), reverse("dosing:stock"), base)


def test_dose(client_for, therapist, under_way):  # noqa: F811 - the fixture
    session, stock, a = under_way["session"], under_way["lot"], under_way["a"]
    checks(session, therapist, a)
    base = {"dose-A-at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "dose-A-mg": "50", "dose-A-lot": stock.pk}
    fuzz(client_for(therapist), record_url(session, "dose", a), base)
