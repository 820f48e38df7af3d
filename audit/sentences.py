"""The audit trail read as sentences: "Maya Chen signed the session note for the Park & Lee couple (KAP-0012),
3 Dec 2026, 14:02."

An event row keeps plain facts (who, which action, the record's type and id, the couple, a summary without
names); the sentence is worded here when it is read, so the rows never change and the wording can improve. The
page and the CSV export both use `audit_sentence`; it reads only the event, its actor and its couple with the
couple's partners, which the search selects and prefetches, so a page of sentences costs no query per row.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps

from audit.choices import AuditAction
from audit.models import AuditEvent
from kapcouples.clock import moment_label

# The record a row names, in the clinic's words (other models: Django's verbose name).
NOUNS = {
    "cases.couple": "case",
    "cases.screening": "screening",
    "cases.contraindicationfinding": "contraindication checklist",
    "cases.questionnaireresponse": "questionnaire",
    "clinical_sessions.therapysession": "session",
    "clinical_sessions.sessionnote": "session note",
    "clinical_sessions.noteamendment": "note amendment",
    "dosing.approval": "dosing approval",
    "dosing.approvaldose": "approved dose",
    "dosing.approvalrevocation": "revocation of a dosing approval",
    "dosing.predosecheck": "pre-dose checks",
    "dosing.administration": "dose",
    "dosing.vitalreading": "vitals reading",
    "dosing.stockentry": "controlled-substance log entry",
    "dosing.inventorycount": "stock count",
    "dosing.discharge": "discharge",
    "integration.questionnairelink": "questionnaire link",
    "clinic.clinicsettings": "clinic settings",
    "jobs.reminderlead": "reminder times",
    "jobs.exportjob": "case export",
}
# What creating a record means at the bedside or in the record.
CREATE_VERBS = {
    "dosing.approval": "signed",
    "dosing.approvalrevocation": "recorded the",
    "dosing.administration": "recorded a",
    "dosing.vitalreading": "recorded a",
    "dosing.discharge": "recorded the",
    "clinical_sessions.noteamendment": "added a",
    "clinical_sessions.therapysession": "booked a",
}
# A change that moved a record to a status (the audit receiver notes the status it was saved with).
STATUS_VERBS = {
    ("clinical_sessions.sessionnote", "signed"): "signed",
    ("clinical_sessions.therapysession", "cancelled"): "cancelled",
    ("clinical_sessions.therapysession", "completed"): "completed",
    ("clinical_sessions.therapysession", "no_show"): "marked as a no-show",
    ("dosing.dosingrequest", "approved"): "approved",
    ("dosing.dosingrequest", "declined"): "declined",
    ("dosing.dosingrequest", "withdrawn"): "withdrew",
    ("integration.commitment", "done"): "marked as done",
    ("integration.commitment", "dropped"): "marked as dropped",
}
# The pages whose reads are audited, in the clinic's words (other views: their name).
PAGES = {
    "cases:couple_detail": "the case page",
    "cases:couple_list": "the couple list",
    "cases:couple_edit": "the case details form",
    "cases:partner_edit": "a partner's details form",
    "cases:screening_edit": "the screening form",
    "cases:screening_decide": "the screening decision",
    "cases:contraindications_edit": "the contraindication checklist",
    "cases:questionnaire_new": "the questionnaire form",
    "sessions:session_detail": "the session page",
    "sessions:note_edit": "the session note",
    "sessions:calendar_week": "the calendar week",
    "sessions:calendar_day": "the calendar day",
    "sessions:calendar_clinic": "the clinic calendar",
    "sessions:calendar_feed": "their calendar feed (read through its private address)",
    "dosing:couple_dosing": "the dosing page",
    "dosing:approval_new": "the prescriber's review",
    "dosing:medicine_record": "the medicine session record",
    "dosing:stock_report": "the controlled-substance log",
    "integration:couple_integration": "the integration page",
    "jobs:summary_download": "a session summary PDF",
    "jobs:export_download": "a case export",
}
PLAIN_ACTIONS = {
    AuditAction.LOGIN: "signed in",
    AuditAction.LOGOUT: "signed out",
    AuditAction.LOCKOUT: "was locked out of signing in",
    AuditAction.TWO_FACTOR_ENROLLED: "set up two-factor sign-in",
    AuditAction.TWO_FACTOR_VERIFIED: "gave a two-factor code",
    AuditAction.TWO_FACTOR_FAILED: "gave a wrong two-factor code",
    AuditAction.TWO_FACTOR_RECOVERY_USED: "used a recovery code",
    AuditAction.TWO_FACTOR_RECOVERY_RENEWED: "renewed their recovery codes",
    AuditAction.TWO_FACTOR_REMOVED: "turned off two-factor sign-in",
    AuditAction.RECORDS_VERIFIED: "verified the signed records",
}
_CHANGED = re.compile(r"^\S+ \S+ changed(?:, now (?P<status>[\w-]+))?$")
# Rows the services write themselves: a status that followed the course, a session entered after the fact.
_FOLLOWED = re.compile(r"^\S+ \S+ status followed the course: [\w-]+ -> (?P<status>[\w-]+)$")
_PAST = re.compile(r"^\S+ \S+ entered after the fact as (?P<status>[\w-]+)$")
_VIEWED = re.compile(r"^(?P<view>[\w-]+:[\w-]+) (?:viewed|refused \((?P<status>\d+)\))$")


def who(event: AuditEvent) -> str:
    """The person, by name: the account's full name, else its username; nobody signed in is the system."""
    if event.action == AuditAction.LOGIN_FAILED:
        return f"Someone signing in as \u201c{event.actor_username}\u201d" if event.actor_username else "Someone"
    if event.actor is not None:
        return event.actor.get_full_name() or event.actor.get_username()
    return event.actor_username or "The system"


def noun(object_type: str) -> str:
    if object_type in NOUNS:
        return NOUNS[object_type]
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type or "record"


def _page(view: str) -> str:
    return PAGES.get(view, "the " + view.partition(":")[2].replace("_", " ") + " page")


def _record_phrase(event: AuditEvent) -> str:
    thing = noun(event.object_type)
    followed, past = _FOLLOWED.match(event.summary), _PAST.match(event.summary)
    if followed:
        return f"moved the {thing} to {followed['status'].replace('_', ' ')} (it followed the course)"
    if past and event.action == AuditAction.CREATE:
        return f"entered a past {thing} ({past['status'].replace('_', ' ')}) after the fact"
    if event.action == AuditAction.CREATE:
        verb = CREATE_VERBS.get(event.object_type, "recorded a")
        article = "" if verb.endswith((" a", " the")) else " a"
        return f"{verb}{article} {thing}"
    if event.action == AuditAction.DELETE:
        return f"deleted a {thing}"
    match = _CHANGED.match(event.summary)
    if match and match["status"]:
        verb = STATUS_VERBS.get((event.object_type, match["status"]))
        if verb:
            return f"{verb} the {thing}"
        return f"changed the {thing} (now {match['status'].replace('_', ' ')})"
    return f"changed the {thing}"


def what(event: AuditEvent) -> str:
    """The act, as a verb phrase."""
    action = event.action
    if action in PLAIN_ACTIONS:
        return PLAIN_ACTIONS[action]
    if action == AuditAction.LOGIN_FAILED:
        return "failed to sign in"
    viewed = _VIEWED.match(event.summary)
    if action in (AuditAction.READ, AuditAction.DOWNLOAD) and viewed:
        return ("downloaded " if action == AuditAction.DOWNLOAD else "opened ") + _page(viewed["view"])
    if action == AuditAction.PERMISSION_DENIED:
        page = _page(viewed["view"]) if viewed else "a page"
        return f"was refused {page}" + (" (not in their caseload)" if viewed and viewed["status"] == "404" else "")
    if action in (AuditAction.CREATE, AuditAction.CHANGE, AuditAction.DELETE) and event.object_type:
        return _record_phrase(event)
    label = AuditAction(action).label.lower() if action in AuditAction.values else action
    return f"{label}: {event.summary}" if event.summary else label


def couple_phrase(event: AuditEvent) -> str:
    """' for the Park & Lee couple (KAP-0012)', or '' for an event about no couple."""
    couple = event.couple
    if couple is None:
        return ""
    names = sorted({p.last_name for p in couple.partners.all()})
    return f" for the {' & '.join(names)} couple ({couple.case_number})" if names else f" for {couple.case_number}"


def audit_sentence(event: AuditEvent, *, with_couple: bool = True) -> str:
    """One event as a sentence a clinic admin reads aloud (without the couple on that couple's own page)."""
    couple = couple_phrase(event) if with_couple else ""
    return f"{who(event)} {what(event)}{couple}, {moment_label(event.at)}."


@dataclass(frozen=True)
class AuditLine:
    """One row of the audit trail page: the sentence and the facts an admin filters and checks by."""

    at: datetime.datetime
    sentence: str
    action: str
    case_number: str
    record: str
    address: str


def audit_lines(events: Iterable[AuditEvent], *, with_couple: bool = True) -> list[AuditLine]:
    return [
        AuditLine(
            at=event.at,
            sentence=audit_sentence(event, with_couple=with_couple),
            action=event.get_action_display(),
            case_number=event.couple.case_number if event.couple else "",
            record=f"{event.object_type} {event.object_id}".strip(),
            address=event.ip_address or "",
        )
        for event in events
    ]
