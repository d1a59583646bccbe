from __future__ import annotations

from django.db.models import QuerySet

from accounts.audit.models import AuditEntry


def audit_list(
    *, target_type: str | None = None, target_id: int | None = None
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.order_by("-id")
    if target_type:
        entries = entries.filter(target_type=target_type)
    if target_id is not None:
        entries = entries.filter(target_id=target_id)
    return entries
