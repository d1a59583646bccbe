"""The header's "Training" link and its badge: assigned modules not passed yet, plus the
current guidelines when not acknowledged."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.selectors import membership_role_for
from config.tenancy import current_client_or_none
from routing.training.selectors import training_due_count


def training_due(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    client = current_client_or_none()
    if client is None or user is None or not user.is_authenticated:
        return {"training_due": 0}
    role = membership_role_for(user=user, client=client)
    if role is None:
        return {"training_due": 0}
    return {"training_due": training_due_count(user=user, role=role)}
