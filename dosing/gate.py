"""The prescriber's gate as the sessions services ask it: explicitly, once per medicine session decided."""


def gate_check(*, couple, start, session_pk=None) -> tuple:
    """(the approval in force for a medicine session of this couple at this time, with every dosing partner
    cleared and consented, or None; every reason the gate is shut). `session_pk`: the session being decided."""
    from dosing.services import medicine_gate

    return medicine_gate(couple=couple, start=start, session_pk=session_pk)
