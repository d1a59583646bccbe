from __future__ import annotations

from typing import Any

from accounts.audit.models import AuditEntry


def audit_record(
    *,
    actor: Any,
    action: str,
    target_type: str,
    target_id: int | None,
    summary: str,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry in the current client's schema (call inside the action's transaction)."""
    return AuditEntry.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_name=getattr(actor, "display_name", "")
        or ("system" if actor is None else str(actor)),
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:500],
        before=before,
        after=after,
    )
