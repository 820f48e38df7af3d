"""Which of a partner's responses is their baseline and which their latest, per instrument: one definition.

Pure over already-loaded responses (anything with partner_id, instrument, context, administered_on, recorded_at
and pk), so every page that shows "the latest score" picks the same row without another query.
"""

from collections.abc import Iterable

from cases.choices import QuestionnaireContext


def response_order(response) -> tuple:
    """The order in which responses were given: the day given, then when it was recorded, then the row."""
    return (response.administered_on, response.recorded_at, response.pk or 0)


def latest_response(responses: Iterable):
    """The latest of these responses (of one partner and instrument), or None."""
    ordered = sorted(responses, key=response_order)
    return ordered[-1] if ordered else None


def baseline_response(responses: Iterable):
    """A partner's baseline of one instrument: their first screening (baseline) response, else their first."""
    ordered = sorted(responses, key=response_order)
    screening = [r for r in ordered if r.context == QuestionnaireContext.SCREENING]
    return (screening or ordered or [None])[0]


def latest_responses(responses: Iterable) -> dict:
    """The latest response per (partner id, instrument)."""
    latest: dict = {}
    for response in sorted(responses, key=response_order):
        latest[(response.partner_id, response.instrument)] = response
    return latest
