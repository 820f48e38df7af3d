"""The couple list: one selector, one frozen dataclass."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from accounts.models import User
from cases import selectors as cases_selectors
from cases.policy import may_create_couple

COUPLE_LIST_PAGE_SIZE = 25


@dataclass(frozen=True)
class CoupleListPage:
    page: Page  # of Couple, partners (with screening) and care team loaded, COUPLE_LIST_PAGE_SIZE a page
    can_create: bool


def couple_list_page(
    *, user: User, search: str = "", status: str = "", therapist_id: int | None = None, page: str | int | None = None
) -> CoupleListPage:
    """One page of the couples the user may see, filtered, in a number of queries that does not grow with them."""
    couples = cases_selectors.couple_list(user=user, search=search, status=status, therapist_id=therapist_id)
    return CoupleListPage(
        page=Paginator(couples, COUPLE_LIST_PAGE_SIZE).get_page(page),
        can_create=bool(may_create_couple(user)),
    )
