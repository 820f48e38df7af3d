"""Hypothesis posts generated input to every form of the product, as each role: nothing answers with a 500, and
a refused (invalid) submission saves nothing."""

import datetime
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dosing.choices import Approach
from dosing.models import DosingRequest
from dosing.tests.factories import approval_on_file, lot
from sessions.choices import Phase
from sessions.tests.helpers import held
from tests.urlwalk import fill_route, iter_patterns

pytestmark = pytest.mark.django_db

CLINICAL_APPS = ("accounts", "cases", "clinic", "clinical_sessions", "dosing", "integration", "jobs")
SKIP_FIELDS = {"csrfmiddlewaretoken"}
# Signing out would end the persona's session and turn every later example into a redirect.
SKIP_ACTIONS = {"/accounts/logout/"}


class FormParser(HTMLParser):
    """The POST forms of a page: action, field names, and the choices offered for each field."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea") and attrs.get("name"):
            name = attrs["name"]
            if name in SKIP_FIELDS or attrs.get("type") in ("submit", "button"):
                return
            options = self._form["fields"].setdefault(name, [])
            if attrs.get("value") and attrs.get("type") in ("radio", "checkbox", "hidden"):
                options.append(attrs["value"])
            if tag == "select":
                self._select = options
        elif tag == "option" and self._select is not None and attrs.get("value"):
            self._select.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_on(client, url):
    response = client.get(url)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    parser = FormParser()
    parser.feed(response.content.decode())
    return [(form["action"] or url, form["fields"]) for form in parser.forms if form["fields"]]


NASTY = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "4",
        "400",
        "9" * 40,
        "1e309",
        "NaN",
        "2099-01-01",
        "1900-01-01",
        "2026-02-30",
        "<script>alert(1)</script>",
        "file:///etc/passwd",
        "' OR 1=1 --",
        "\x00",
        "ünïcødé 漢字",
        "a" * 5000,
    ]
)


def values_for(choices):
    generated = st.one_of(NASTY, st.text(max_size=30), st.integers(-(10**6), 10**6).map(str))
    return st.one_of(st.sampled_from(choices), generated) if choices else generated


def row_counts():
    return {
        m._meta.label: m.objects.count() for label in CLINICAL_APPS for m in apps.get_app_config(label).get_models()
    }


@pytest.fixture
def world(therapist, prescriber, couple):
    approval_on_file(couple, prescriber, valid_from=timezone.localdate() - datetime.timedelta(days=60))
    now = timezone.now()
    preparation = held(couple, therapist, Phase.PREPARATION, now - datetime.timedelta(days=20))
    medicine = held(
        couple, therapist, Phase.MEDICINE, now + datetime.timedelta(days=3), status="scheduled", minutes=180
    )
    integration = held(couple, therapist, Phase.INTEGRATION, now - datetime.timedelta(days=9))
    DosingRequest.objects.create(
        couple=couple, approach=Approach.DUAL_PSYCHEDELIC, rationale="x", requested_by=therapist
    )
    stock = lot(prescriber)
    return {
        "couple_uuid": couple.uuid,
        "partner_uuid": couple.partners.get(label="A").uuid,
        "session_uuid": preparation.uuid,
        "instrument": "PHQ9",
        "lot_id": stock.pk,
        "sessions": {"dosing": medicine.uuid, "integration": integration.uuid},
    }


def pages(world):
    """Every GET-able page of the product with real ids (admin excluded: it only changes users and rooms)."""
    for _, name, _ in iter_patterns():
        if not name or name.startswith("admin:"):
            continue
        values = dict(world, session_uuid=world["sessions"].get(name.split(":")[0], world["session_uuid"]))
        try:
            yield name, fill_route(name, **values)
        except KeyError:
            continue  # needs an id this world has no page for (downloads, tokens)


@pytest.mark.parametrize("persona", ["therapist", "prescriber", "clinic_admin"])
def test_every_form_survives_generated_input(request, client_for, world, persona):
    client = client_for(request.getfixturevalue(persona))
    targets = {}
    for _, url in pages(world):
        for action, fields in forms_on(client, url):
            if action not in SKIP_ACTIONS:
                targets.setdefault(action, fields)
    assert len(targets) >= 10, targets.keys()

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def post_generated(data):
        action = data.draw(st.sampled_from(sorted(targets)))
        fields = targets[action]
        body = {
            name: data.draw(values_for(choices), label=name)
            for name, choices in fields.items()
            if data.draw(st.booleans(), label=f"send {name}") or choices
        }
        before = row_counts()
        response = client.post(action, body)
        assert response.status_code < 500, (action, body)
        if response.status_code == 400:
            assert row_counts() == before, (action, body)

    post_generated()
