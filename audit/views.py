"""The clinic admins' audit trail: search it, page through it, export it as CSV."""

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import role_required
from audit import selectors
from audit.choices import AuditAction
from audit.forms import AuditFilterForm
from audit.sentences import audit_lines, audit_sentence
from audit.services import audit_record
from kapcouples.spreadsheet import csv_row

PAGE_SIZE = 50
CSV_COLUMNS = [
    "at",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "case_number",
    "summary",
    "path",
    "method",
    "ip_address",
    "user_agent",
    "sentence",
]


def _filters(request) -> tuple[AuditFilterForm, dict]:
    form = AuditFilterForm(request.GET or None)
    return form, ({k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {})


@require_GET
@role_required("is_clinic_admin")
def audit_event_list(request):
    form, filters = _filters(request)
    page = Paginator(selectors.audit_event_search(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "lines": audit_lines(page.object_list), "query": query.urlencode()},
    )


class _Echo:
    def write(self, value):
        return value


def _rows(events):
    yield CSV_COLUMNS
    for event in events.iterator(chunk_size=2000):  # prefetches the partners per chunk
        yield csv_row(
            (
                event.at.isoformat(),
                event.actor_username,
                event.action,
                event.object_type,
                event.object_id,
                event.couple.case_number if event.couple else "",
                event.summary,
                event.path,
                event.method,
                event.ip_address,
                event.user_agent,
                audit_sentence(event),
            )
        )


@require_GET
@role_required("is_clinic_admin")
def audit_event_export(request):
    """Stream the filtered trail as CSV; the export itself is recorded first."""
    form, filters = _filters(request)
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        object_type="audit.auditevent",
        summary="audit trail exported as CSV",
    )
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _rows(selectors.audit_event_search(**filters))),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response
