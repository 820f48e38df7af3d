"""The outcome pages: a couple's integration work and the clinic-wide outcomes. One selector each, one frozen
dataclass each; the integration app computes, these only gather what the page shows."""

from dataclasses import dataclass

from cases.instruments import INSTRUMENTS
from cases.models import Couple
from integration import selectors as integration_selectors


@dataclass(frozen=True)
class CoupleIntegrationPage:
    couple: Couple
    commitments: list
    links: list
    upcoming: object  # the next session still ahead (TherapySession), or None
    measures: object  # what is due at that session (integration.measures.MeasuresDue), or None
    follow_up: object  # the follow-up plan
    partners: list
    instruments: list


def couple_integration_page(*, couple: Couple) -> CoupleIntegrationPage:
    """The couple's integration page: every commitment with its history, the questionnaire links, what is due at
    the next session and the follow-up plan."""
    data = integration_selectors.couple_integration_page(couple=couple)
    return CoupleIntegrationPage(
        couple=couple,
        commitments=data["commitments"],
        links=data["links"],
        upcoming=data["upcoming"],
        measures=data["measures"],
        follow_up=data["follow_up"],
        partners=data["partners"],
        instruments=list(INSTRUMENTS.values()),
    )


@dataclass(frozen=True)
class ClinicOutcomesPage:
    approach: str  # the approach filtered on, "" for all
    courses: int  # completed courses counted
    summaries: list  # integration.selectors.InstrumentSummary, one per questionnaire


def clinic_outcomes_page(*, approach: str = "") -> ClinicOutcomesPage:
    """How scores changed across completed courses, per questionnaire, for one approach or all."""
    data = integration_selectors.clinic_outcomes(approach=approach)
    return ClinicOutcomesPage(approach=approach, courses=data["courses"], summaries=data["summaries"])
