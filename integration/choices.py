"""Fixed vocabularies of integration work and repeated measures (CLINICAL.md: Integration and outcomes)."""

from django.db import models

from sessions.choices import POINT_CONTEXT, MeasurePoint  # noqa: F401 - the course decides the points


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


class LinkState(models.TextChoices):
    """Where a questionnaire link stands; derived from its timestamps, never stored."""

    LIVE = "live", "Waiting for answers"
    USED = "used", "Answered"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"
