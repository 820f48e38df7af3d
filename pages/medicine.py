"""What a list of sessions says about a medicine session whose gate shut (issue #14, "blocked sessions look blocked").

The state is the medicine session's, as dosing.lifecycle reads it (`TherapySession.medicine_state`); the gate is
dosing.gate's. A booked session the gate shut is blocked with its reason stored on the row, so it costs nothing to
show; a session already in progress is asked the gate (a few queries for each session in progress at that moment,
never for the rest of the list)."""

from collections.abc import Iterable
from dataclasses import dataclass

from dosing.gate import medicine_gate
from sessions.choices import MedicineState
from sessions.models import TherapySession

# What still may be done once the gate shut in progress (dosing.lifecycle.BEDSIDE less the doses; the dose itself
# is refused by the gate at each dose).
STILL_IN_PROGRESS = "No further dose may be given. Vital signs, side effects and discharge can still be recorded."


@dataclass(frozen=True)
class MedicineNote:
    """The line a page shows under a medicine session the gate shut: what happened, and what may still be done."""

    state: str
    text: str  # "Blocked: <reason>" or "Dosing stopped: <reason>"
    still: str  # what may still be done


def medicine_note(session: TherapySession, *, gate_reasons: list[str] | None = None) -> MedicineNote | None:
    """The note for one session: blocked (booked, gate shut), or in progress with the gate shut; None otherwise.
    gate_reasons: the gate's reasons if the caller asked it already (only read for a session in progress)."""
    state = session.medicine_state
    if state == MedicineState.BLOCKED:
        text = session.blocked_reason
        if not text.startswith("Blocked"):
            text = f"Blocked: {text}"
        return MedicineNote(state=state, text=text, still="Move it to a time an approval covers, or cancel it.")
    if state == MedicineState.IN_PROGRESS:
        if gate_reasons is None:
            gate_reasons = medicine_gate(couple=session.couple, start=session.start, session_pk=session.pk).reasons
        if gate_reasons:
            return MedicineNote(state=state, text="Dosing stopped: " + " ".join(gate_reasons), still=STILL_IN_PROGRESS)
    return None


def medicine_notes(sessions: Iterable[TherapySession]) -> dict[int, MedicineNote]:
    """The notes of the medicine sessions among these that the gate shut, by session id."""
    notes = {}
    for session in sessions:
        note = medicine_note(session)
        if note is not None:
            notes[session.pk] = note
    return notes
