"""A therapist's first journey in a real browser."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_therapist_records_phq9_and_sees_score_and_band(login, therapist, couple):
    partner = couple.partners.get(label="A")
    page = login(therapist)
    assert page.get_by_role("heading", name="My caseload").is_visible()

    page.get_by_role("link", name="Couples").first.click()
    page.get_by_role("link", name=couple.case_number).click()
    page.get_by_role("link", name=f"Record PHQ-9 for {partner.full_name}").click()

    # Answers 2,2,1,1,1,0,0,0,1 -> 8, "mild", with item 9 above 0.
    for number, value in enumerate([2, 2, 1, 1, 1, 0, 0, 0, 1], start=1):
        page.locator(f"input[name=item_{number}][value='{value}']").check()
    page.get_by_role("button", name="Score and save").click()

    assert page.get_by_text(f"PHQ-9 for {partner.full_name}: 8 of 27, mild.").is_visible()
    row = page.locator("section[aria-labelledby=partner-A-heading] tr[data-instrument='PHQ-9']")
    assert "8/27" in row.inner_text()
    assert "mild" in row.inner_text()
    assert "suicide risk" in row.inner_text()


def test_missing_phq9_item_is_shown_next_to_it_and_nothing_saved(login, therapist, couple):
    partner = couple.partners.get(label="B")
    page = login(therapist)
    page.goto(f"/couples/{couple.uuid}/partners/{partner.uuid}/questionnaires/PHQ9/new/")
    for number in range(1, 9):
        page.locator(f"input[name=item_{number}][value='0']").check()
    page.get_by_role("button", name="Score and save").click()

    assert page.locator("#id_item_9-error").inner_text() == "Answer this item."
    assert partner.questionnaires.count() == 0
