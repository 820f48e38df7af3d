"""Fixed vocabularies of the clinical model (CLINICAL.md: People, Screening)."""

from django.db import models


class CoupleStatus(models.TextChoices):
    REFERRED = "referred", "Referred"
    SCREENING = "screening", "Screening"
    ACTIVE = "active", "Active treatment"
    COMPLETED = "completed", "Completed"
    CLOSED = "closed", "Closed"
    DECLINED = "declined", "Declined"


# The lifecycle: the only moves a couple's status can make.
COUPLE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CoupleStatus.REFERRED: (CoupleStatus.SCREENING, CoupleStatus.DECLINED, CoupleStatus.CLOSED),
    CoupleStatus.SCREENING: (CoupleStatus.ACTIVE, CoupleStatus.DECLINED, CoupleStatus.CLOSED),
    CoupleStatus.ACTIVE: (CoupleStatus.COMPLETED, CoupleStatus.CLOSED),
    CoupleStatus.COMPLETED: (),
    CoupleStatus.CLOSED: (),
    CoupleStatus.DECLINED: (),
}


class PartnerLabel(models.TextChoices):
    A = "A", "Partner A"
    B = "B", "Partner B"


class ReminderChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message"
    NONE = "none", "No reminders (opted out)"


class Condition(models.TextChoices):
    DEPRESSION = "depression", "Depression"
    ANXIETY = "anxiety", "Anxiety"
    PTSD = "ptsd", "PTSD"
    SUBSTANCE_USE = "substance_use", "Substance use"
    SUICIDALITY = "suicidality", "Suicidality"
    OCD = "ocd", "OCD"
    RELATIONSHIP_DISTRESS = "relationship_distress", "Relationship distress"


class Contraindication(models.TextChoices):
    HYPERTENSION = "hypertension", "Uncontrolled hypertension"
    VASCULAR = "vascular", "Aneurysmal vascular disease or arteriovenous malformation"
    HAEMORRHAGE = "haemorrhage", "History of intracerebral haemorrhage"
    PSYCHOSIS = "psychosis", "History of psychosis or current mania"
    PREGNANCY = "pregnancy", "Pregnancy or breastfeeding"
    SUBSTANCE_USE_DISORDER = "sud", "Active substance use disorder (last 3 months)"
    KETAMINE_ALLERGY = "ketamine_allergy", "Known ketamine allergy"
    LIVER = "liver", "Severe liver disease"
    GLAUCOMA = "glaucoma", "Uncontrolled glaucoma"
    CYSTITIS = "cystitis", "Interstitial cystitis"
    # "Under 18" is derived from the date of birth: a partner under 18 cannot be registered.


class InteractingMedication(models.TextChoices):
    BENZODIAZEPINES = "benzodiazepines", "Benzodiazepines"
    SEDATIVES = "sedatives", "Other sedatives"
    OPIOIDS = "opioids", "Opioids"
    STIMULANTS = "stimulants", "Stimulants"
    MAOIS = "maois", "MAOIs"
    LAMOTRIGINE = "lamotrigine", "Lamotrigine"


class ScreeningOutcome(models.TextChoices):
    PENDING = "pending", "Not decided"
    CLEARED = "cleared", "Cleared"
    REVIEW = "review", "Needs prescriber review"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class Item9Decision(models.TextChoices):
    """The prescriber's answer to a positive PHQ-9 item 9 recorded after a partner's clearance."""

    CLEARANCE_STANDS = "clearance_stands", "Clearance stands: dosing may go on"
    NOT_ELIGIBLE = "not_eligible", "Not eligible: the clearance is withdrawn"


class QuestionnaireContext(models.TextChoices):
    SCREENING = "screening", "Screening (baseline)"
    PRE_MEDICINE = "pre_medicine", "Before a medicine session"
    POST_INTEGRATION = "post_integration", "After integration"
    FOLLOW_UP = "follow_up", "Follow-up"


class EventKind(models.TextChoices):
    CREATED = "created", "Case opened"
    STATUS = "status", "Status changed"
    DETAILS = "details", "Details changed"
    SCREENING = "screening", "Screening updated"
    QUESTIONNAIRE = "questionnaire", "Questionnaire scored"
    OUTCOME = "outcome", "Screening outcome decided"
    SESSION = "session", "Session booked or changed"
    NOTE = "note", "Session note signed or amended"
