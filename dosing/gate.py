"""Plugs the approval gate into the protocol engine (sessions.protocol's medicine checks)."""

from sessions.protocol import register_medicine_check


def approval_gate(*, couple, start, mode, session_pk=None) -> list[str]:
    """The reasons the gate is shut for a medicine session of this couple at this time (empty when open)."""
    from dosing.services import medicine_gate

    return medicine_gate(couple=couple, start=start, session_pk=session_pk)[1]


def register() -> None:
    register_medicine_check(approval_gate)
