"""Keeps each integration session linked to the medicine session it follows as the calendar changes."""

from sessions.choices import Phase


def session_saved(sender, instance, raw=False, **kwargs):
    """A medicine or integration session was booked, moved or changed status: relink that couple's integrations."""
    if raw or instance.phase not in (Phase.MEDICINE, Phase.INTEGRATION):
        return
    from integration.services import integration_links_sync

    integration_links_sync(couple_id=instance.couple_id)
