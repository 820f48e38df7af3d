"""Fixed vocabularies of integration work and repeated measures (CLINICAL.md: Integration and outcomes)."""

from django.db import models

from cases.choices import QuestionnaireContext


class CommitmentKind(models.TextChoices):
    PRACTICE = "practice", "Practice"
    CONVERSATION = "conversation", "Conversation"
    HOMEWORK = "homework", "Homework"


class CommitmentOwner(models.TextChoices):
    A = "A", "Partner A"
    B = "B", "Partner B"
    BOTH = "both", "Both partners"


class CommitmentStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


# The only moves a commitment's status can make. Done is final; a dropped commitment can be taken up again.
COMMITMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CommitmentStatus.OPEN: (CommitmentStatus.IN_PROGRESS, CommitmentStatus.DONE, CommitmentStatus.DROPPED),
    CommitmentStatus.IN_PROGRESS: (CommitmentStatus.DONE, CommitmentStatus.DROPPED),
    CommitmentStatus.DONE: (),
    CommitmentStatus.DROPPED: (CommitmentStatus.OPEN,),
}

# Commitments that later sessions still review.
ACTIVE_COMMITMENT_STATUSES = (CommitmentStatus.OPEN, CommitmentStatus.IN_PROGRESS)


class CommitmentEventKind(models.TextChoices):
    CREATED = "created", "Made"
    STATUS = "status", "Status changed"
    REVIEWED = "reviewed", "Reviewed, unchanged"


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


class LinkState(models.TextChoices):
    """Where a questionnaire link stands; derived from its timestamps, never stored."""

    LIVE = "live", "Waiting for answers"
    USED = "used", "Answered"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"
