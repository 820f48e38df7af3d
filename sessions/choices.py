"""Fixed vocabularies of therapy sessions (CLINICAL.md: The phased protocol)."""

from django.db import models

from cases.choices import QuestionnaireContext


class Phase(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    PREPARATION = "preparation", "Preparation"
    MEDICINE = "medicine", "Medicine session"
    INTEGRATION = "integration", "Integration"
    FOLLOW_UP = "follow_up", "Follow-up"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# The only moves a session's status can make; completed, cancelled and no-show are final.
SESSION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    SessionStatus.SCHEDULED: (SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.NO_SHOW),
    SessionStatus.COMPLETED: (),
    SessionStatus.CANCELLED: (),
    SessionStatus.NO_SHOW: (),
}

# Sessions that hold a place in the calendar and in the protocol's plan.
PLANNED_STATUSES = (SessionStatus.SCHEDULED, SessionStatus.COMPLETED)


class Place(models.TextChoices):
    OFFICE = "office", "Office room"
    TELEHEALTH = "telehealth", "Telehealth"
    HOME = "home", "Home"


class SessionEventKind(models.TextChoices):
    BOOKED = "booked", "Booked"
    RESCHEDULED = "rescheduled", "Rescheduled"
    STATUS = "status", "Status changed"
    STAGE = "stage", "Medicine session stage"


class MedicineState(models.TextChoices):
    """A medicine session's state as the clinic names it (dosing.lifecycle holds its transitions)."""

    BOOKED = "booked", "Booked"
    BLOCKED = "blocked", "Blocked"
    IN_PROGRESS = "in_progress", "In progress"
    OBSERVATION = "observation", "Observation"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed and locked"


class NoteField:
    """One labelled part of a phase's note; `to_sign` parts must be written before signing."""

    def __init__(self, key: str, label: str, help_text: str = "", to_sign: bool = False):
        self.key, self.label, self.help_text, self.to_sign = key, label, help_text, to_sign


# What a note holds, per phase.
NOTE_FIELDS: dict[str, tuple[NoteField, ...]] = {
    Phase.ASSESSMENT: (
        NoteField("history", "History", "Relationship, psychiatric and substance history; screening reviewed.", True),
        NoteField("goals", "Goals", "What the couple want from treatment, in their words.", True),
        NoteField("observations", "Clinical observations"),
    ),
    Phase.PREPARATION: (
        NoteField("intentions_a", "Intentions of partner A", to_sign=True),
        NoteField("intentions_b", "Intentions of partner B", to_sign=True),
        NoteField(
            "psychoeducation", "Psychoeducation given", "What was explained: effects, set and setting, risks.", True
        ),
        NoteField("touch_agreement", "Agreement on touch"),
        NoteField("safety_word", "Safety word"),
        NoteField("other_agreements", "Other agreements"),
        NoteField(
            "sober_partner_role",
            "The sober partner's role",
            "Where solo dosing is planned: what the sitter will and will not do.",
        ),
    ),
    # The dosing itself (checks, doses, vitals, discharge) is recorded in the dosing record; the note is the
    # therapist's account of the session, signed like any other.
    Phase.MEDICINE: (
        NoteField(
            "course",
            "Course of the session",
            "Set, onset, what each partner went through, the relational moments.",
            True,
        ),
        NoteField(
            "observations", "Clinical observations", "Mental state, safety, anything the prescriber should know."
        ),
        NoteField("integration_plan", "Integration plan", "What to pick up at the check-ins."),
    ),
    Phase.INTEGRATION: (
        NoteField("reflections_a", "Reflections of partner A", to_sign=True),
        NoteField("reflections_b", "Reflections of partner B", to_sign=True),
        NoteField("shared_insights", "Shared insights"),
        NoteField(
            "commitments",
            "Notes on commitments",
            "How the commitments came about. Each commitment itself goes in this session's commitments list, "
            "with its owner and due date, so that later sessions review it.",
        ),
    ),
    Phase.FOLLOW_UP: (
        NoteField("progress", "Progress since the last cycle", to_sign=True),
        NoteField("plan", "Plan from here"),
    ),
}


class MeasurePoint(models.TextChoices):
    """When the repeated measures are given; each point records its responses under one questionnaire context."""

    BASELINE = "baseline", "Baseline (assessment)"
    PRE_MEDICINE = "pre_medicine", "Before the medicine session"
    POST_INTEGRATION = "post_integration", "After integration"
    FOLLOW_UP = "follow_up", "Follow-up"


POINT_CONTEXT: dict[str, str] = {
    MeasurePoint.BASELINE: QuestionnaireContext.SCREENING,
    MeasurePoint.PRE_MEDICINE: QuestionnaireContext.PRE_MEDICINE,
    MeasurePoint.POST_INTEGRATION: QuestionnaireContext.POST_INTEGRATION,
    MeasurePoint.FOLLOW_UP: QuestionnaireContext.FOLLOW_UP,
}
