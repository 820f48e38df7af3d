"""The couple list finds a couple by either partner's first, last or full name, in part, in any order, without
accents or case, and by case number; the search costs the same queries however many couples there are."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from cases import services
from cases.models import Couple, Partner
from tests.factories import CoupleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def nunez(therapist):
    couple = CoupleFactory(case_number="KAP-0412", therapists=[therapist])
    for label, first, last in (("A", "Zoë", "Núñez-García"), ("B", "François", "O'Brien")):
        partner = couple.partners.get(label=label)
        partner.first_name, partner.last_name = first, last
        partner.save()
    return couple


@pytest.fixture
def others(therapist):
    return CoupleFactory.create_batch(3, therapists=[therapist])


def found(client, query) -> set[str]:
    page = client.get(reverse("cases:couple_list"), {"q": query})
    assert page.status_code == 200
    return {c.case_number for c in Couple.objects.all() if c.case_number in page.content.decode()}


@pytest.mark.parametrize(
    "query",
    [
        "Zoë",  # first name
        "zoe",  # without the accent, in lower case
        "NUNEZ",  # last name, capitals, no accents
        "núñez-garcía",  # as written
        "zoe nunez",  # full name
        "Nunez Zoe",  # family name first
        "zo nun",  # parts of both
        "francois",  # the other partner
        "françois o'brien",  # the other partner's full name
        "brien",  # part of a last name
        "kap-0412",  # case number
        "0412",  # part of it
    ],
)
def test_either_partners_name_or_the_case_number_finds_the_couple(client_for, therapist, nunez, others, query):
    assert found(client_for(therapist), query) == {"KAP-0412"}


@pytest.mark.parametrize("query", ["zoe obrien-x", "zoe francois", "garcia smithson"])
def test_words_must_all_be_in_one_partners_name(client_for, therapist, nunez, others, query):
    assert "KAP-0412" not in found(client_for(therapist), query)


def test_a_renamed_partner_is_found_by_the_new_name_only(client_for, therapist, nunez):
    partner = nunez.partners.get(label="A")
    services.partner_update(by=therapist, partner=partner, values={"last_name": "Álvarez"})
    client = client_for(therapist)
    assert found(client, "alvarez") == {"KAP-0412"}
    assert found(client, "nunez") == set()


def test_search_does_not_reach_past_the_caseload(client_for, other_therapist, nunez):
    assert found(client_for(other_therapist), "zoe") == set()


def test_the_migration_fills_the_search_name_of_partners_on_file(nunez):
    Partner.objects.filter(couple=nunez).update(search_name="")
    import_module("cases.migrations.0008_partner_search_name").fill_search_names(django_apps, None)
    assert set(Partner.objects.filter(couple=nunez).values_list("search_name", flat=True)) == {
        "zoe nunez-garcia",
        "francois o'brien",
    }


def test_searching_costs_the_same_queries_however_many_couples(
    client_for, clinic_admin, therapist, nunez, django_assert_num_queries
):
    from cases.tests.test_views import TestQueryCounts

    client = client_for(clinic_admin)
    with django_assert_num_queries(TestQueryCounts.LIST_QUERIES):
        client.get(reverse("cases:couple_list"), {"q": "zoe nunez"})
    for couple in CoupleFactory.create_batch(20, therapists=[therapist]):
        Partner.objects.filter(couple=couple, label="A").update(search_name="zoe nunez")
    with django_assert_num_queries(TestQueryCounts.LIST_QUERIES):
        page = client.get(reverse("cases:couple_list"), {"q": "zoe nunez"})
    assert "KAP-0412" in page.content.decode()
